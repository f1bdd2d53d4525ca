/**
 * s3rver@3.7.1 runs on two adapters (vendor/) instead of fast-xml-parser 3.x and busboy
 * 0.3.x (with dicer), which have CVEs: the root package.json's "overrides" put them in.
 * These tests check the installed tree, then drive a real s3rver through every path that
 * calls either package: XML responses and errors (j2xParser), XML request bodies (validate
 * and parse), bucket and object configurations (parse, j2xParser, getTraversalObj through
 * configureBuckets) and the browser form upload (busboy).
 */
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  type CORSRule,
  DeleteObjectsCommand,
  GetBucketCorsCommand,
  GetBucketWebsiteCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  ListObjectsV2Command,
  PutBucketCorsCommand,
  PutBucketWebsiteCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);
/** Resolves modules as s3rver's own code does. */
const requireFromS3rver = createRequire(require.resolve('s3rver'));

interface S3rver {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}
type S3rverOptions = {
  port: number;
  address: string;
  directory: string;
  silent: boolean;
  configureBuckets: { name: string; configs: string[] }[];
};

/** Every package directory under `dir`'s node_modules, nested ones included (links not followed). */
function installedPackages(dir: string, found: { dir: string; name: string; version: string }[] = []) {
  const modules = join(dir, 'node_modules');
  if (!existsSync(modules)) return found;
  for (const entry of readdirSync(modules)) {
    if (entry.startsWith('.')) continue;
    const names = entry.startsWith('@') ? readdirSync(join(modules, entry)).map((n) => `${entry}/${n}`) : [entry];
    for (const name of names) {
      const pkgDir = join(modules, name);
      const manifest = join(pkgDir, 'package.json');
      if (existsSync(manifest)) {
        const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
        found.push({ dir: pkgDir, name: pkg.name ?? name, version: pkg.version ?? '' });
      }
      if (!lstatSync(pkgDir).isSymbolicLink()) installedPackages(pkgDir, found);
    }
  }
  return found;
}

const CORS_RULES: CORSRule[] = [
  {
    AllowedOrigins: ['http://a.example', 'https://b.example'],
    AllowedMethods: ['GET', 'PUT'],
    AllowedHeaders: ['*'],
    ExposeHeaders: ['ETag'],
    MaxAgeSeconds: 3000,
  },
  { AllowedOrigins: ['*'], AllowedMethods: ['HEAD'] },
];
const CONFIGURED_CORS = `<?xml version="1.0" encoding="UTF-8"?>
<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <CORSRule>
    <AllowedOrigin>http://configured.example</AllowedOrigin>
    <AllowedMethod>GET</AllowedMethod>
    <MaxAgeSeconds>60</MaxAgeSeconds>
  </CORSRule>
</CORSConfiguration>`;
const CONFIGURED_WEBSITE = `<WebsiteConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <IndexDocument><Suffix>index.html</Suffix></IndexDocument>
  <ErrorDocument><Key>404.html</Key></ErrorDocument>
</WebsiteConfiguration>`;
const MALFORMED_MESSAGE = 'The XML you provided was not well-formed or did not validate against our published schema';

let server: S3rver;
let directory: string;
let endpoint: string;
let s3: S3Client;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'pulse-s3rver-deps-'));
  const S3rverClass = require('s3rver') as new (o: S3rverOptions) => S3rver;
  server = new S3rverClass({
    port: 0,
    address: '127.0.0.1',
    directory,
    silent: true,
    configureBuckets: [{ name: 'configured', configs: [CONFIGURED_CORS, CONFIGURED_WEBSITE] }],
  });
  const { port } = await server.run();
  endpoint = `http://127.0.0.1:${port}`;
  s3 = new S3Client({
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
});

afterAll(async () => {
  s3?.destroy();
  await server?.close();
  if (directory) rmSync(directory, { recursive: true, force: true });
});

async function bucket(name: string): Promise<string> {
  await s3.send(new CreateBucketCommand({ Bucket: name }));
  return name;
}

async function body(bucketName: string, key: string): Promise<Buffer> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucketName, Key: key }));
  return Buffer.from(await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
}

async function keys(bucketName: string): Promise<string[]> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucketName }));
  return (listed.Contents ?? []).map((c) => c.Key as string);
}

describe('the installed tree', () => {
  it('gives s3rver the vendor adapters, and holds no dicer, fast-xml-parser 3.x or busboy 0.x', () => {
    // Prepare
    const adapters = {
      'fast-xml-parser': join(root, 'vendor', 'fast-xml-parser-v3-compat'),
      busboy: join(root, 'vendor', 'busboy-v0-compat'),
    };
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { name?: string; version?: string }>;
    };

    // Act
    const resolved = {
      'fast-xml-parser': realpathSync(requireFromS3rver.resolve('fast-xml-parser')),
      busboy: realpathSync(requireFromS3rver.resolve('busboy')),
    };
    const installed = [root, ...Object.values(adapters)].flatMap((dir) => installedPackages(dir));
    const isAdapter = (dir: string) => Object.values(adapters).includes(realpathSync(dir));
    const major = (version: string) => Number(version.split('.')[0]);
    const lockNamed = (name: string) =>
      Object.entries(lock.packages).filter(
        ([path, entry]) =>
          path === `node_modules/${name}` || path.endsWith(`/node_modules/${name}`) || entry.name === name,
      );

    // Assess: s3rver requires the adapters
    expect(resolved).toEqual({
      'fast-xml-parser': join(adapters['fast-xml-parser'], 'index.js'),
      busboy: join(adapters.busboy, 'index.js'),
    });
    // no dicer, and the only old-major copies of the two packages are the adapters
    expect(installed.length).toBeGreaterThan(100);
    expect(installed.filter((p) => p.name === 'dicer' || p.dir.endsWith('/dicer'))).toEqual([]);
    const old = installed.filter(
      (p) =>
        ((p.name === 'fast-xml-parser' && major(p.version) < 4) || (p.name === 'busboy' && major(p.version) < 1)) &&
        !isAdapter(p.dir),
    );
    expect(old.map((p) => `${relative(root, p.dir)}@${p.version}`)).toEqual([]);
    // and so for a fresh `npm ci` from the lockfile (the adapters' own entries are under vendor/)
    expect(lockNamed('dicer')).toEqual([]);
    const oldLocked = [
      ...lockNamed('fast-xml-parser').filter(([, e]) => e.version !== undefined && major(e.version) < 4),
      ...lockNamed('busboy').filter(([, e]) => e.version !== undefined && major(e.version) < 1),
    ];
    expect(oldLocked.map(([path, entry]) => `${path}@${entry.version}`)).toEqual([
      'vendor/fast-xml-parser-v3-compat@3.21.1-pulse.0',
      'vendor/busboy-v0-compat@0.3.1-pulse.0',
    ]);
  });
});

describe('s3rver XML through the fast-xml-parser adapter', () => {
  it('lists keys holding &, < and spaces (j2xParser escapes them once)', async () => {
    // Prepare
    const b = await bucket('listing');
    const awkward = 'dir/a & b <c> d.txt';
    for (const key of [awkward, 'plain.txt']) {
      await s3.send(new PutObjectCommand({ Bucket: b, Key: key, Body: key }));
    }

    // Act
    const listed = await keys(b);
    const raw = await (await fetch(`${endpoint}/${b}?list-type=2&prefix=dir%2F`)).text();

    // Assess
    expect(listed).toEqual([awkward, 'plain.txt']);
    expect(raw).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n<ListBucketResult xmlns="[^"]+">/);
    expect(raw).toContain('<Key>dir/a &amp; b &lt;c&gt; d.txt</Key>');
    expect(raw).toContain('<KeyCount>1</KeyCount>');
  });

  it('answers a missing key with NoSuchKey (error.js j2xParser)', async () => {
    // Prepare
    const b = await bucket('errors');
    const missing = 'gone & <away>.txt';

    // Act
    const error = await s3.send(new GetObjectCommand({ Bucket: b, Key: missing })).catch((e: unknown) => e);
    const raw = await fetch(`${endpoint}/${b}/${encodeURIComponent(missing)}`);

    // Assess
    expect((error as Error).name).toBe('NoSuchKey');
    expect((error as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode).toBe(404);
    expect(raw.status).toBe(404);
    expect(await raw.text()).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code>' +
        '<Message>The specified key does not exist.</Message><Key>gone &amp; &lt;away&gt;.txt</Key></Error>',
    );
  });

  it('deletes exactly the two keys a DeleteObjects body names (validate and parse)', async () => {
    // Prepare
    const b = await bucket('deleting');
    for (const key of ['keep.txt', 'x & y.txt', 'z <1>.txt']) {
      await s3.send(new PutObjectCommand({ Bucket: b, Key: key, Body: 'x' }));
    }

    // Act
    const deleted = await s3.send(
      new DeleteObjectsCommand({ Bucket: b, Delete: { Objects: [{ Key: 'x & y.txt' }, { Key: 'z <1>.txt' }] } }),
    );

    // Assess
    expect((deleted.Deleted ?? []).map((d) => d.Key)).toEqual(['x & y.txt', 'z <1>.txt']);
    expect(deleted.Errors).toBeUndefined();
    expect(await keys(b)).toEqual(['keep.txt']);
  });

  it('keeps CORS rules through PutBucketCors and GetBucketCors (config.js parse and j2xParser)', async () => {
    // Prepare
    const b = await bucket('cors');

    // Act
    await s3.send(new PutBucketCorsCommand({ Bucket: b, CORSConfiguration: { CORSRules: CORS_RULES } }));
    const got = await s3.send(new GetBucketCorsCommand({ Bucket: b }));
    const stored = readFileSync(join(directory, b, '._S3rver_cors.xml'), 'utf8');

    // Assess: the rules as given, read back from the copy s3rver stored 2-space indented
    expect(got.CORSRules).toEqual(CORS_RULES);
    expect(stored).toBe(
      [
        '<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">',
        '  <CORSRule>',
        '    <AllowedMethod>GET</AllowedMethod>',
        '    <AllowedMethod>PUT</AllowedMethod>',
        '    <AllowedOrigin>http://a.example</AllowedOrigin>',
        '    <AllowedOrigin>https://b.example</AllowedOrigin>',
        '    <AllowedHeader>*</AllowedHeader>',
        '    <ExposeHeader>ETag</ExposeHeader>',
        '    <MaxAgeSeconds>3000</MaxAgeSeconds>',
        '  </CORSRule>',
        '  <CORSRule>',
        '    <AllowedMethod>HEAD</AllowedMethod>',
        '    <AllowedOrigin>*</AllowedOrigin>',
        '  </CORSRule>',
        '</CORSConfiguration>',
        '',
      ].join('\n'),
    );
  });

  it('reads configurations given at start (getXmlRootTag picks CORS and website)', async () => {
    // Act
    const cors = await s3.send(new GetBucketCorsCommand({ Bucket: 'configured' }));
    const website = await s3.send(new GetBucketWebsiteCommand({ Bucket: 'configured' }));

    // Assess
    expect(cors.CORSRules).toEqual([
      { AllowedOrigins: ['http://configured.example'], AllowedMethods: ['GET'], MaxAgeSeconds: 60 },
    ]);
    expect({ index: website.IndexDocument, error: website.ErrorDocument }).toEqual({
      index: { Suffix: 'index.html' },
      error: { Key: '404.html' },
    });
  });

  it('keeps a website configuration and object tags (config.js)', async () => {
    // Prepare
    const b = await bucket('configs');
    await s3.send(new PutObjectCommand({ Bucket: b, Key: 'tagged.txt', Body: 't' }));
    const untagged = await s3.send(new GetObjectTaggingCommand({ Bucket: b, Key: 'tagged.txt' }));

    // Act
    await s3.send(
      new PutBucketWebsiteCommand({
        Bucket: b,
        WebsiteConfiguration: { IndexDocument: { Suffix: 'home.html' }, ErrorDocument: { Key: 'oops.html' } },
      }),
    );
    await s3.send(
      new PutObjectTaggingCommand({
        Bucket: b,
        Key: 'tagged.txt',
        Tagging: {
          TagSet: [
            { Key: 'team', Value: 'pulse' },
            { Key: 'tier', Value: 'gold' },
          ],
        },
      }),
    );
    const website = await s3.send(new GetBucketWebsiteCommand({ Bucket: b }));
    const tagged = await s3.send(new GetObjectTaggingCommand({ Bucket: b, Key: 'tagged.txt' }));

    // Assess
    expect(untagged.TagSet).toEqual([]);
    expect({ index: website.IndexDocument, error: website.ErrorDocument }).toEqual({
      index: { Suffix: 'home.html' },
      error: { Key: 'oops.html' },
    });
    expect(tagged.TagSet).toEqual([
      { Key: 'team', Value: 'pulse' },
      { Key: 'tier', Value: 'gold' },
    ]);
  });

  it('answers malformed XML bodies with MalformedXML', async () => {
    // Prepare
    const b = await bucket('malformed');
    const unclosed = '<Delete><Object><Key>a</Key></Object>';

    // Act
    const deleteResponse = await fetch(`${endpoint}/${b}?delete`, { method: 'POST', body: unclosed });
    const corsResponse = await fetch(`${endpoint}/${b}?cors`, { method: 'PUT', body: '<CORSConfiguration><CORSRule>' });

    // Assess
    expect([deleteResponse.status, corsResponse.status]).toEqual([400, 400]);
    expect(await deleteResponse.text()).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>MalformedXML</Code>' +
        `<Message>${MALFORMED_MESSAGE}.</Message></Error>`,
    );
    expect(await corsResponse.text()).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>MalformedXML</Code>' +
        `<Message>${MALFORMED_MESSAGE}</Message></Error>`,
    );
  });

  it('completes a multipart upload (CompleteMultipartUpload body parsed)', async () => {
    // Prepare
    const b = await bucket('multipart');
    const key = 'big & small.bin';
    const parts = [Buffer.alloc(5 * 1024 * 1024, 7), Buffer.from('the last part')];
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: b, Key: key }));
    const etags: string[] = [];
    for (const [i, part] of parts.entries()) {
      const uploaded = await s3.send(
        new UploadPartCommand({ Bucket: b, Key: key, UploadId, PartNumber: i + 1, Body: part }),
      );
      etags.push(uploaded.ETag as string);
    }

    // Act
    const completed = await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: b,
        Key: key,
        UploadId,
        MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
      }),
    );

    // Assess: s3rver's ETag is the whole object's MD5 (S3's would end in -2)
    expect({ bucket: completed.Bucket, key: completed.Key }).toEqual({ bucket: b, key });
    expect(completed.ETag).toBe(`"${createHash('md5').update(Buffer.concat(parts)).digest('hex')}"`);
    expect((await body(b, key)).equals(Buffer.concat(parts))).toBe(true);
  });
});

describe('s3rver form uploads through the busboy adapter', () => {
  it('stores the exact bytes of a browser form POST (a file part)', async () => {
    // Prepare: every byte value, and a line that looks like a boundary
    const b = await bucket('form-file');
    const bytes = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), Buffer.from('\r\n--x--\r\n')]);
    const form = new FormData();
    form.append('key', 'uploads/form file.bin');
    form.append('Content-Type', 'application/octet-stream');
    form.append('file', new Blob([bytes]), 'form file.bin');

    // Act
    const response = await fetch(`${endpoint}/${b}`, { method: 'POST', body: form });

    // Assess
    expect(response.status).toBe(204);
    expect(await keys(b)).toEqual(['uploads/form file.bin']);
    expect((await body(b, 'uploads/form file.bin')).equals(bytes)).toBe(true);
  });

  it('stores a form field named file, and answers success_action_status 201 in XML', async () => {
    // Prepare: without a filename, the part reaches s3rver as a field
    const b = await bucket('form-field');
    const form = new FormData();
    form.append('key', 'from-field.txt');
    form.append('success_action_status', '201');
    form.append('file', 'text sent as a field & <kept>');

    // Act
    const response = await fetch(`${endpoint}/${b}`, { method: 'POST', body: form });
    const xml = await response.text();

    // Assess
    expect(response.status).toBe(201);
    expect(xml).toContain('<Bucket>form-field</Bucket><Key>from-field.txt</Key>');
    expect((await body(b, 'from-field.txt')).toString()).toBe('text sent as a field & <kept>');
  });

  it("emits 0.x's field and file arguments, and finish after every part and file stream", async () => {
    // Prepare: the adapter s3rver loads, a form with a field after the file, fed in small chunks
    const Busboy = requireFromS3rver('busboy') as new (o: {
      headers: Record<string, string>;
    }) => NodeJS.WritableStream & {
      on(event: string, listener: (...args: unknown[]) => void): unknown;
      _finished: boolean;
    };
    const boundary = 'b0undary';
    const payload = Buffer.from('file bytes\r\n--not-the-boundary\r\n');
    const multipart = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="key"\r\n\r\nk\r\n`),
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="f.bin"\r\n`),
      Buffer.from('Content-Type: application/octet-stream\r\n\r\n'),
      payload,
      Buffer.from(`\r\n--${boundary}\r\nContent-Disposition: form-data; name="after"\r\n\r\nv\r\n--${boundary}--\r\n`),
    ]);
    const busboy = new Busboy({ headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } });
    const events: unknown[][] = [];
    let fileBytes = Buffer.alloc(0);
    busboy.on('field', (...args) => events.push(['field', ...args]));
    busboy.on('file', (name, stream, ...rest) => {
      events.push(['file', name, ...rest]);
      (stream as Readable).pause();
      setTimeout(() => {
        (stream as Readable).on('data', (chunk: Buffer) => (fileBytes = Buffer.concat([fileBytes, chunk])));
        (stream as Readable).on('end', () => events.push(['file end']));
        (stream as Readable).resume();
      }, 50);
    });
    const finished = new Promise<void>((resolve, reject) => {
      busboy.on('finish', () => {
        events.push(['finish']);
        resolve();
      });
      busboy.on('error', reject);
    });
    const source = new PassThrough();
    source.pipe(busboy);

    // Act
    for (let i = 0; i < multipart.length; i += 7) source.write(multipart.subarray(i, i + 7));
    source.end();
    await finished;

    // Assess
    expect(events).toEqual([
      ['field', 'key', 'k', false, false, '7bit', 'text/plain'],
      ['file', 'file', 'f.bin', '7bit', 'application/octet-stream'],
      ['field', 'after', 'v', false, false, '7bit', 'text/plain'],
      ['file end'],
      ['finish'],
    ]);
    expect(fileBytes.equals(payload)).toBe(true);
    expect(busboy._finished).toBe(true);
  });
});
