'use strict';
/**
 * busboy 0.3.x constructor API, as s3rver@3.7.1 calls it, over busboy 1.x (0.3.x depends
 * on dicer, which has a CVE and no fixed release). Installed in s3rver's place through
 * the "overrides" of the root package.json; see ../README.md.
 *
 * `new Busboy({ headers })` (or without `new`) returns a busboy 1.x instance whose 'field'
 * and 'file' events carry 0.x's arguments:
 *   field (name, value, nameTruncated, valueTruncated, encoding, mimeType)
 *   file  (name, stream, filename, encoding, mimeType)
 * 'finish' is the 1.x Writable's own: it is emitted once, after the last part is parsed and
 * every file stream has ended (1.x's _final waits for them), as 0.x's 'finish' was; 0.x's
 * `_finished` flag is set when it fires. On a malformed body 1.x emits 'error' instead.
 */
const busboy = require('busboy1');

function Busboy(opts) {
  const instance = busboy(opts);
  const emit = instance.emit;
  instance._finished = false;
  instance.emit = function (event, ...args) {
    if (event === 'field') {
      const [name, value, info] = args;
      return emit.call(
        this,
        'field',
        name,
        value,
        info.nameTruncated,
        info.valueTruncated,
        info.encoding,
        info.mimeType,
      );
    }
    if (event === 'file') {
      const [name, stream, info] = args;
      return emit.call(this, 'file', name, stream, info.filename, info.encoding, info.mimeType);
    }
    if (event === 'finish') this._finished = true;
    return emit.call(this, event, ...args);
  };
  return instance;
}

module.exports = Busboy;
