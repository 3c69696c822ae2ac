/**
 * Withdraws from the demo merchant's available balance to its bound sandbox bank card through the
 * signed API, and follows the withdrawal until it is paid or failed. Pay an order first
 * (examples/create-order.ts): the demo merchant settles D0, so its net is available within a minute.
 * Run: npx tsx examples/withdraw.ts [amountInFen]
 */
import fs from 'node:fs';
import path from 'node:path';
import { QingyunClient } from '../sdk/index.ts';

const dataDir = process.env.QY_DATA_DIR ?? './data';
const baseUrl = process.env.QY_URL ?? `http://127.0.0.1:${process.env.PORT ?? 8080}`;
const demo = JSON.parse(fs.readFileSync(path.join(dataDir, 'demo-credentials.json'), 'utf8'));
const client = new QingyunClient({
  baseUrl,
  mchNo: demo.merchant.mchNo,
  appId: demo.merchant.appId,
  key: { type: 'HMAC-SHA256', secret: demo.merchant.appSecret as string },
});

const yuan = (fen: number) => `¥${(fen / 100).toFixed(2)}`;
const balance = await client.getBalance();
console.log(
  `balance: pending ${yuan(balance.pending)}, available ${yuan(balance.available)}, frozen ${yuan(balance.frozen)}`,
);
const amount = Number(process.argv[2] ?? balance.available);
if (!(amount > 0)) {
  console.log('Nothing available yet: pay an order (examples/create-order.ts) and wait for the settlement run.');
  process.exit(1);
}

let withdrawal = await client.createWithdrawal({ mchWithdrawNo: `WD${Date.now()}`, amount });
console.log(`withdrawal ${withdrawal.withdrawNo}: ${yuan(withdrawal.amount)} to ${withdrawal.card.accountNoMasked}`);
let last = '';
for (let i = 0; i < 120; i++) {
  if (withdrawal.state !== last) {
    last = withdrawal.state;
    console.log(`  ${new Date().toLocaleTimeString()}  ${withdrawal.state}`);
    if (withdrawal.state === 'reviewing') {
      console.log('  (above the review threshold: approve it in the operator console, 结算管理 › 提现审核)');
    }
  }
  if (['succeeded', 'failed', 'rejected'].includes(withdrawal.state)) break;
  await new Promise((resolve) => setTimeout(resolve, 1000));
  withdrawal = await client.getWithdrawal(withdrawal.withdrawNo);
}
console.log(JSON.stringify(withdrawal, null, 2));
