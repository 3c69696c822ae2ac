/**
 * Creates a signed order against a running platform with the demo credentials, prints where to pay
 * it, and waits for the notify. Run: npx tsx examples/create-order.ts [amountInFen]
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { QingyunClient, verifyNotify } from '../sdk/index.ts';

const dataDir = process.env.QY_DATA_DIR ?? './data';
const baseUrl = process.env.QY_URL ?? `http://127.0.0.1:${process.env.PORT ?? 8080}`;
const demo = JSON.parse(fs.readFileSync(path.join(dataDir, 'demo-credentials.json'), 'utf8'));
const key = { type: 'HMAC-SHA256' as const, secret: demo.merchant.appSecret as string };

// A local receiver for the signed async notify.
const receiver = http.createServer((request, response) => {
  let body = '';
  request.on('data', (chunk) => {
    body += chunk;
  });
  request.on('end', () => {
    const verified = verifyNotify(request.headers, body, key);
    console.log(`\nnotify received (signature ${verified.ok ? 'verified' : `REJECTED: ${verified.reason}`}):\n${body}`);
    response.end(verified.ok ? 'success' : 'fail');
    if (verified.ok) setTimeout(() => process.exit(0), 100);
  });
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const notifyUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/notify`;

const client = new QingyunClient({ baseUrl, mchNo: demo.merchant.mchNo, appId: demo.merchant.appId, key });
const order = await client.createOrder({
  mchOrderNo: `DEMO${Date.now()}`,
  productCode: demo.merchant.productCode,
  amount: Number(process.argv[2] ?? 1234),
  subject: 'Demo order',
  notifyUrl,
});
console.log(JSON.stringify(order, null, 2));
console.log(`\nPay it: open ${order.payData?.value} (or the cashier ${order.cashierUrl}) and press 支付成功 / Pay.`);
console.log('Waiting for the notify…');
