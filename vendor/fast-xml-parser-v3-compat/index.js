'use strict';
/**
 * fast-xml-parser 3.x API, as far as s3rver@3.7.1 calls it, over fast-xml-parser 5.x
 * (3.x has CVEs fixed only in 4.x/5.x, whose API s3rver cannot call). Installed in
 * s3rver's place through the "overrides" of the root package.json; see ../README.md.
 *
 * s3rver calls: validate(xml); parse(xml, { ignoreAttributes, parseNodeValue, tagValueProcessor });
 * new j2xParser({ ignoreAttributes, attrNodeName, format, indentBy, tagValueProcessor }).parse(obj);
 * getTraversalObj(xml).child (the root tag's name). Options outside those are refused, so
 * nothing is silently ignored.
 */
const { XMLParser, XMLBuilder, XMLValidator } = require('fxp5');
// The number parser fast-xml-parser 3.21.1 used, at the version this tree had, so that
// "0042", "0x1F" or "1e3" become the same numbers as before.
const toNumber = require('strnum');

const NUM_PARSE_OPTIONS = { hex: true, leadingZeros: true }; // 3.x's default numParseOptions
const identity = (a) => a;

function checkOptions(options, known, what) {
  for (const name of Object.keys(options)) {
    if (!known.includes(name)) {
      throw new Error(`fast-xml-parser v3 compat: ${what} option "${name}" is not implemented`);
    }
  }
}

/** 3.x's parseValue: "true"/"false" to booleans, numbers with strnum, '' for a missing value. */
function parseValue(val, parseNodeValue) {
  if (parseNodeValue && typeof val === 'string') {
    const trimmed = val.trim();
    if (trimmed === 'true') return true;
    if (trimmed === 'false') return false;
    return toNumber(val, NUM_PARSE_OPTIONS);
  }
  return val === undefined ? '' : val;
}

/** 3.x: `true`, or `{ err: { code, msg, line, col } }` (5.x returns the same shape). */
function validate(xmlData, options) {
  return XMLValidator.validate(xmlData, options);
}

const PARSE_OPTIONS = [
  'attributeNamePrefix',
  'textNodeName',
  'ignoreAttributes',
  'parseNodeValue',
  'tagValueProcessor',
];

/**
 * 3.x's parse. Per text value, 3.x trimmed, then called tagValueProcessor(value, tagName),
 * then parsed numbers and booleans; it decoded no entities (s3rver passes he.decode).
 * 5.x runs the same steps here through its tagValueProcessor hook, with its own entity
 * decoding and value parsing off.
 */
function parse(xmlData, options = {}, validationOption) {
  checkOptions(options, PARSE_OPTIONS, 'parse');
  if (validationOption) {
    const result = validate(xmlData, validationOption === true ? {} : validationOption);
    if (result !== true) throw new Error(result.err.msg);
  }
  const processor = options.tagValueProcessor || identity;
  const parseNodeValue = options.parseNodeValue !== false;
  const parser = new XMLParser({
    attributeNamePrefix: options.attributeNamePrefix ?? '@_',
    textNodeName: options.textNodeName ?? '#text',
    ignoreAttributes: options.ignoreAttributes ?? true,
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: true,
    processEntities: false,
    htmlEntities: false,
    ignoreDeclaration: true,
    ignorePiTags: true,
    // 5.x keeps its own (unparsed) value when the hook returns that same string.
    tagValueProcessor: (tagName, val) => parseValue(processor(val, tagName), parseNodeValue),
  });
  return parser.parse(xmlData);
}

const J2X_OPTIONS = [
  'attributeNamePrefix',
  'attrNodeName',
  'textNodeName',
  'ignoreAttributes',
  'format',
  'indentBy',
  'supressEmptyNode',
  'tagValueProcessor',
  'attrValueProcessor',
];

/**
 * 3.x's JSON-to-XML builder. attrNodeName is 5.x's attributesGroupName (the group's keys
 * are the attribute names as written). 3.x escaped nothing (s3rver escapes with he in its
 * tagValueProcessor), so 5.x's escaping is off. Two differences remain: 5.x always writes
 * `"` and `'` in attribute values as &quot; and &apos; (s3rver's attributes are fixed URLs),
 * and with `format` an empty object as <a></a> (3.x put a line break inside).
 */
class j2xParser {
  constructor(options = {}) {
    checkOptions(options, J2X_OPTIONS, 'j2xParser');
    const tagValueProcessor = options.tagValueProcessor || identity;
    const attrValueProcessor = options.attrValueProcessor || identity;
    this.options = options;
    this.builder = new XMLBuilder({
      attributeNamePrefix: options.attributeNamePrefix ?? '@_',
      attributesGroupName: options.attrNodeName || false,
      textNodeName: options.textNodeName ?? '#text',
      ignoreAttributes: options.ignoreAttributes ?? true,
      format: Boolean(options.format),
      indentBy: options.indentBy ?? '  ',
      suppressEmptyNode: Boolean(options.supressEmptyNode),
      suppressBooleanAttributes: false,
      processEntities: false,
      // '' + v: 3.x concatenated whatever the processor returned.
      tagValueProcessor: (name, val) => '' + tagValueProcessor(val),
      attributeValueProcessor: (name, val) => '' + attrValueProcessor(val),
    });
  }

  parse(jObj) {
    return this.builder.build(jObj);
  }
}

/** 3.x's traversal node: children grouped by tag name, in arrays. */
class XmlNode {
  constructor(tagname, parent, val) {
    this.tagname = tagname;
    this.parent = parent;
    this.child = {};
    this.attrsMap = {};
    this.val = val;
  }

  addChild(child) {
    (this.child[child.tagname] ||= []).push(child);
  }
}

/**
 * 3.x's getTraversalObj: a root node named '!xml' whose `child` maps each top-level tag
 * name to its nodes (s3rver reads the root element's `tagname`). Nodes carry tagname,
 * parent, child and val (the element's text, parsed as 3.x did); attributes are not kept.
 */
function getTraversalObj(xmlData) {
  const ordered = new XMLParser({
    preserveOrder: true,
    ignoreAttributes: true,
    parseTagValue: false,
    trimValues: true,
    processEntities: false,
    htmlEntities: false,
    ignoreDeclaration: true,
    ignorePiTags: true,
  }).parse(xmlData);
  const root = new XmlNode('!xml');
  const add = (parent, items) => {
    for (const item of items) {
      const tagname = Object.keys(item).find((k) => k !== ':@');
      if (tagname === undefined) continue;
      if (tagname === '#text') {
        parent.val = (parent.val === undefined ? '' : parent.val) + item['#text'];
        continue;
      }
      const node = new XmlNode(tagname, parent);
      add(node, item[tagname]);
      if (node.val !== undefined) node.val = parseValue(node.val, true);
      parent.addChild(node);
    }
  };
  add(root, ordered);
  return root;
}

module.exports = { validate, parse, j2xParser, getTraversalObj };
