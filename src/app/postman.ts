/**
 * The Postman collection of the merchant API (`docs/postman/qingyun-pay.postman_collection.json`),
 * converted from the OpenAPI document by openapi-to-postmanv2, with a collection-level pre-request
 * script that signs every request (HMAC-SHA256 over the string docs/merchant-api.md describes) from
 * the collection variables baseUrl, mchNo, appId and appSecret. The converter's random ids are
 * dropped, so the file changes only when the API does; test/postman-collection.test.ts fails when
 * the committed file is out of date.
 *
 *   npx tsx src/app/postman.ts   rewrites the committed collection
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { convertV2 } from 'openapi-to-postmanv2';
import { openApiDocument } from './openapi.ts';

type Json = Record<string, unknown>;

export const POSTMAN_COLLECTION_PATH = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../docs/postman/qingyun-pay.postman_collection.json',
);

const SIGNED_HEADERS = [
  'X-Qy-Mch',
  'X-Qy-App',
  'X-Qy-Timestamp',
  'X-Qy-Nonce',
  'X-Qy-Sign-Type',
  'X-Qy-Signature',
];

/** Runs in Postman before every request: the same signing string as sdk/signing.ts. */
const SIGNING_SCRIPT = [
  '// Signs the request: X-Qy-Signature = base64(HMAC-SHA256(appSecret, METHOD\\nPATH?QUERY\\nMCH\\nAPP\\nTIMESTAMP\\nNONCE\\nBODY\\n)).',
  "const mchNo = pm.variables.get('mchNo');",
  "const appId = pm.variables.get('appId');",
  "const appSecret = pm.variables.get('appSecret');",
  'const timestamp = String(Math.floor(Date.now() / 1000));',
  'const nonce = CryptoJS.lib.WordArray.random(16).toString(CryptoJS.enc.Hex);',
  'const url = pm.request.url;',
  'const pathWithQuery = pm.variables.replaceIn(url.getPathWithQuery ? url.getPathWithQuery() : url.getPath());',
  "const body = pm.request.body && pm.request.body.mode === 'raw' ? pm.variables.replaceIn(pm.request.body.raw || '') : '';",
  "const text = [pm.request.method.toUpperCase(), pathWithQuery, mchNo, appId, timestamp, nonce, body].join('\\n') + '\\n';",
  'const signature = CryptoJS.HmacSHA256(text, appSecret).toString(CryptoJS.enc.Base64);',
  "pm.request.headers.upsert({ key: 'X-Qy-Mch', value: mchNo });",
  "pm.request.headers.upsert({ key: 'X-Qy-App', value: appId });",
  "pm.request.headers.upsert({ key: 'X-Qy-Timestamp', value: timestamp });",
  "pm.request.headers.upsert({ key: 'X-Qy-Nonce', value: nonce });",
  "pm.request.headers.upsert({ key: 'X-Qy-Sign-Type', value: 'HMAC-SHA256' });",
  "pm.request.headers.upsert({ key: 'X-Qy-Signature', value: signature });",
  "if (body) pm.request.headers.upsert({ key: 'Content-Type', value: 'application/json' });",
];

/** Parameters without an example get a fixed one, so the converter fakes no random values. */
function withExamples(operation: Json): Json {
  const parameters = (operation.parameters as Json[] | undefined)?.map((p) => {
    if (p.example !== undefined || typeof p.name !== 'string') return p;
    const schema = (p.schema ?? {}) as { enum?: unknown[] };
    return { ...p, example: schema.enum?.[0] ?? `<${p.name}>` };
  });
  return parameters ? { ...operation, parameters } : operation;
}

/** Only the merchant API: the consoles' API is not an integration surface. */
function merchantDocument(document: Json): Json {
  const paths = Object.fromEntries(
    Object.entries(document.paths as Record<string, Record<string, Json>>)
      .filter(([p]) => p.startsWith('/api/v1/'))
      .map(([p, item]) => [
        p,
        Object.fromEntries(Object.entries(item).map(([m, op]) => [m, withExamples(op)])),
      ]),
  );
  return {
    ...document,
    info: {
      ...(document.info as Json),
      title: 'Qingyun Pay merchant API',
      description:
        'The signed merchant API. Set the collection variables baseUrl, mchNo, appId and appSecret; the ' +
        "collection's pre-request script signs every request (docs/merchant-api.md). Amounts are integers in fen.",
    },
    servers: [{ url: '{{baseUrl}}' }],
    tags: [{ name: 'merchant', description: 'The signed merchant API (/api/v1)' }],
    paths,
  };
}

/** Drops the converter's random ids, its generated signing headers and per-request auth. */
function tidy(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value
      .filter(
        (item) =>
          !(item && typeof item === 'object' && SIGNED_HEADERS.includes((item as Json).key as string)),
      )
      .map(tidy);
  }
  if (value && typeof value === 'object') {
    const out: Json = {};
    for (const [key, item] of Object.entries(value as Json)) {
      if (key === 'id' || key === '_postman_id' || key === 'auth') continue;
      out[key] = tidy(item);
    }
    return out;
  }
  return value;
}

export async function postmanCollection(document?: Json): Promise<Json> {
  const source = merchantDocument(document ?? (await openApiDocument()));
  const converted = await new Promise<Json>((resolve, reject) => {
    convertV2(
      { type: 'json', data: source },
      { folderStrategy: 'Tags', parametersResolution: 'Example', requestNameSource: 'Fallback' },
      (error, result) => {
        if (error) return reject(error);
        const data = result?.result ? result.output?.[0]?.data : undefined;
        if (!data) return reject(new Error(`conversion failed: ${result?.reason}`));
        resolve(data as Json);
      },
    );
  });
  const collection = tidy(converted) as Json;
  return {
    ...collection,
    auth: { type: 'noauth' },
    event: [{ listen: 'prerequest', script: { type: 'text/javascript', exec: SIGNING_SCRIPT } }],
    variable: [
      { key: 'baseUrl', value: 'http://127.0.0.1:8080', type: 'string' },
      { key: 'mchNo', value: 'M0000000000', type: 'string' },
      { key: 'appId', value: 'APP0000000000000000', type: 'string' },
      { key: 'appSecret', value: 'your app secret (data/demo-credentials.json)', type: 'string' },
    ],
  };
}

export function collectionText(collection: Json): string {
  return `${JSON.stringify(collection, null, 2)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  fs.mkdirSync(path.dirname(POSTMAN_COLLECTION_PATH), { recursive: true });
  fs.writeFileSync(POSTMAN_COLLECTION_PATH, collectionText(await postmanCollection()));
  console.log(`written ${path.relative(process.cwd(), POSTMAN_COLLECTION_PATH)}`);
}
