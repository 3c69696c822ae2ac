import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { requestSigningString, signString } from '../sdk/signing.ts';
import { MERCHANT_OPERATIONS } from '../src/app/openapi-document.ts';
import { collectionText, POSTMAN_COLLECTION_PATH, postmanCollection } from '../src/app/postman.ts';

type Json = Record<string, unknown>;

/** Runs the collection's pre-request script on one request, with the parts of Postman's sandbox it uses. */
function runSigningScript(
  collection: Json,
  request: { method: string; pathWithQuery: string; raw?: string },
  variables: Record<string, string>,
) {
  const headers = new Map<string, string>();
  const replaceIn = (text: string) =>
    text.replace(/\{\{(\w+)\}\}/g, (_, name: string) => variables[name] ?? '');
  const pm = {
    variables: { get: (name: string) => variables[name], replaceIn },
    request: {
      method: request.method,
      url: {
        getPathWithQuery: () => request.pathWithQuery,
        getPath: () => request.pathWithQuery.split('?')[0],
      },
      body: request.raw === undefined ? {} : { mode: 'raw', raw: request.raw },
      headers: { upsert: (h: { key: string; value: string }) => headers.set(h.key, h.value) },
    },
  };
  const CryptoJS = {
    enc: { Hex: 'hex', Base64: 'base64' },
    lib: {
      WordArray: {
        random: (n: number) => ({ toString: (enc: string) => randomBytes(n).toString(enc as 'hex') }),
      },
    },
    HmacSHA256: (text: string, secret: string) => ({
      toString: (enc: string) =>
        createHmac('sha256', secret)
          .update(text, 'utf8')
          .digest(enc as 'base64'),
    }),
  };
  const event = (collection.event as { listen: string; script: { exec: string[] } }[]).find(
    (e) => e.listen === 'prerequest',
  )!;
  vm.runInNewContext(event.script.exec.join('\n'), { pm, CryptoJS });
  return headers;
}

describe('the Postman collection of the merchant API', () => {
  it('is the one the OpenAPI document gives today (regenerate: npx tsx src/app/postman.ts)', async () => {
    const committed = fs.readFileSync(POSTMAN_COLLECTION_PATH, 'utf8');
    expect(committed).toBe(collectionText(await postmanCollection()));
  }, 120_000);

  it('signs each request as the platform checks it', () => {
    const collection = JSON.parse(fs.readFileSync(POSTMAN_COLLECTION_PATH, 'utf8')) as Json;
    const variables = {
      mchNo: 'M8948729534',
      appId: 'APPA51B9151A8842E4A',
      appSecret: 'demo-secret-please-change',
    };
    const requests = [
      {
        method: 'POST',
        pathWithQuery: '/api/v1/orders',
        raw: '{\n  "mchOrderNo": "ORDER-1001",\n  "amount": 1234\n}',
      },
      { method: 'GET', pathWithQuery: '/api/v1/orders?mchOrderNo=ORDER-1001' },
      { method: 'POST', pathWithQuery: '/api/v1/orders/P26120514300000000001/close' },
    ];
    for (const request of requests) {
      const headers = runSigningScript(collection, request, variables);
      const text = requestSigningString({
        method: request.method,
        pathWithQuery: request.pathWithQuery,
        mchNo: variables.mchNo,
        appId: variables.appId,
        timestamp: headers.get('X-Qy-Timestamp')!,
        nonce: headers.get('X-Qy-Nonce')!,
        body: request.raw ?? '',
      });
      expect(headers.get('X-Qy-Nonce')).toMatch(/^[0-9a-f]{32}$/);
      expect(Object.fromEntries(headers)).toMatchObject({
        'X-Qy-Mch': variables.mchNo,
        'X-Qy-App': variables.appId,
        'X-Qy-Sign-Type': 'HMAC-SHA256',
        'X-Qy-Signature': signString(text, { type: 'HMAC-SHA256', secret: variables.appSecret }),
      });
    }
    const items = (collection.item as { item: { request: { header?: { key: string }[] } }[] }[]).flatMap(
      (f) => f.item,
    );
    expect(items).toHaveLength(Object.keys(MERCHANT_OPERATIONS).length);
    for (const item of items) {
      expect(item.request.header?.map((h) => h.key) ?? []).not.toContain('X-Qy-Signature');
    }
  });
});
