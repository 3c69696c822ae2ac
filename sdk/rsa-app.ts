/**
 * For sdk/run-examples.sh: opens a second app of the demo merchant that takes only RSA-SHA256
 * requests (signed with the test key of sdk/testdata) and signs its notifies with RSA, through the
 * operator console's API as an operator would (login, TOTP enrolment, create app). Prints the app id;
 * writes the platform's public key of the app to the file named by the third argument.
 *
 *   npx tsx sdk/rsa-app.ts <baseUrl> <demo-credentials.json> <platform-public-key.pem>
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from 'otplib';

const [baseUrl, credentialsFile, publicKeyOut] = process.argv.slice(2);
if (!baseUrl || !credentialsFile || !publicKeyOut) {
  console.error('usage: tsx sdk/rsa-app.ts <baseUrl> <demo-credentials.json> <platform-public-key.pem>');
  process.exit(2);
}
const demo = JSON.parse(fs.readFileSync(credentialsFile, 'utf8'));
const vectors = JSON.parse(
  fs.readFileSync(
    path.join(path.dirname(fileURLToPath(import.meta.url)), 'testdata', 'signing-vectors.json'),
    'utf8',
  ),
);

let cookie = '';
let csrf = '';
async function call<T>(method: string, url: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (cookie) headers.cookie = cookie;
  if (csrf) headers['x-csrf-token'] = csrf;
  const response = await fetch(`${baseUrl}${url}`, { method, headers, body: JSON.stringify(body ?? {}) });
  const set = response.headers.getSetCookie().find((c) => c.startsWith('qy_session='));
  if (set) cookie = set.split(';')[0]!;
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${url} answered ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

type Session = { stage: string; csrfToken: string };
let session = await call<Session>('POST', '/api/auth/login', {
  area: 'operator',
  username: demo.operator.username,
  password: demo.operator.password,
});
csrf = session.csrfToken;
if (session.stage === 'totp_enrol') {
  const { secret } = await call<{ secret: string }>('POST', '/api/auth/totp/enrol/start');
  session = (
    await call<{ session: Session }>('POST', '/api/auth/totp/enrol/confirm', {
      code: await generate({ secret }),
    })
  ).session;
  csrf = session.csrfToken;
}
if (session.stage !== 'active') throw new Error(`the operator login stopped at ${session.stage}`);
const { app } = await call<{ app: { appId: string; platformPublicKey: string } }>(
  'POST',
  `/api/admin/merchants/${demo.merchant.mchNo}/apps`,
  {
    name: 'SDK examples (RSA)',
    merchantPublicKey: vectors.merchantPublicKeyPem,
    acceptedSignType: 'RSA-SHA256',
    notifySignType: 'RSA-SHA256',
  },
);
fs.writeFileSync(publicKeyOut, app.platformPublicKey);
console.log(app.appId);
