/**
 * The reconciliation workload: a channel account's day of `lines` paid orders and the channel's
 * statement of it (the sandbox's CSV format, with a few of each discrepancy), reconciled end to end
 * the way an operator's upload is: read the file, check and parse it, stage it, match it, sum it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEMO_PRODUCT } from '../src/app/demo.ts';
import type { startPlatform } from '../src/app/platform.ts';
import { STATEMENT_HEADER, shanghaiDay, shanghaiTime } from '../src/channels/sandbox/statement.ts';
import { formatMinor } from '../src/money/money.ts';

type Services = Awaited<ReturnType<typeof startPlatform>>['services'];

/** A day long past, so that no other workload's orders fall in it. */
const DAY = '2020-01-15';
/** Of each kind of discrepancy the statement carries. */
const FAULTS = 100;

export interface ReconciliationRun {
  seconds: number;
  lines: number;
  fileMb: number;
  batch: Record<string, unknown>;
}

/** Seeds the orders and writes the statement; runReconciliation is what is measured. */
export async function prepareReconciliation(
  services: Services,
  mchNo: string,
  lines: number,
): Promise<{ job: ReconciliationJob; dispose(): void }> {
  const merchant = await services.merchants.requireMerchant(mchNo);
  const product = (await services.catalog.productByCode(DEMO_PRODUCT))!;
  const account = (await services.catalog.listChannelAccounts()).find((a) => a.adapterCode === 'sandbox')!;
  const { from } = shanghaiDay(DAY);
  const spacingMs = 86_000_000 / lines;
  // The day's orders in one statement (the rollup triggers fold it), each with the 3 fen channel cost
  // the statement's fee agrees with unless a fault says otherwise.
  await services.db.query(
    `INSERT INTO pay_order (order_no, merchant_id, app_id, mch_order_no, request_hash, product_id, product_code,
       channel_account_id, adapter_code, amount, currency, subject, state, merchant_rate_ppm, channel_rate_ppm, fee,
       channel_cost, platform_profit, expires_at, created_at, paid_at, channel_order_no, test)
     SELECT 'R' || i, $1, 'bench-recon', 'bench-recon-' || i, '', $2, $3, $4, 'sandbox', 1000 + i % 5000, 'CNY',
            'recon', 'paid', 6000, 3000, 6, 3, 3, $5::timestamptz,
            $5::timestamptz + (i * $6::float8) * interval '1 millisecond',
            $5::timestamptz + (i * $6::float8) * interval '1 millisecond', 'SBR' || i, false
     FROM generate_series(1, $7::int) AS i`,
    [merchant.id, product.id, product.code, account.id, from.toISOString(), spacingMs, lines],
  );
  await services.db.query('ANALYZE pay_order');
  const file = path.join(os.tmpdir(), `qy-bench-statement-${process.pid}.csv`);
  writeStatement(file, lines, from);
  return {
    job: { file, channelAccountId: account.id.toString(), day: DAY, lines },
    dispose: () => fs.rmSync(file, { force: true }),
  };
}

export interface ReconciliationJob {
  file: string;
  channelAccountId: string;
  day: string;
  lines: number;
}

/** What is measured: the statement file read, checked, parsed, staged, matched and summed, as an upload is. */
export async function runReconciliation(
  services: Services,
  job: ReconciliationJob,
): Promise<ReconciliationRun> {
  const started = performance.now();
  const bytes = fs.readFileSync(job.file);
  const batch = await services.reconciliation.upload(
    BigInt(job.channelAccountId),
    job.day,
    { name: path.basename(job.file), bytes },
    { userId: null },
  );
  const seconds = (performance.now() - started) / 1000;
  return {
    seconds: Math.round(seconds * 100) / 100,
    lines: job.lines,
    fileMb: Math.round(bytes.length / 1024 / 1024),
    batch: {
      state: batch.state,
      matched: batch.matched_count,
      platformOnly: batch.platform_only_count,
      channelOnly: batch.channel_only_count,
      amountMismatch: batch.amount_mismatch_count,
      feeMismatch: batch.fee_mismatch_count,
      carried: batch.carried_out_count,
      totalsTieOut: batch.totals_tie_out,
    },
  };
}

/**
 * The statement, written line by line (a million lines are never one string): every order but the
 * first FAULTS (dropped: platform_only), the next FAULTS with a fen more (amount_mismatch), the next
 * with another fee (fee_mismatch), and FAULTS payments we never had (channel_only).
 */
function writeStatement(file: string, lines: number, from: Date) {
  const fd = fs.openSync(file, 'w');
  const spacingMs = 86_000_000 / lines;
  let buffer: string[] = [STATEMENT_HEADER.join(',')];
  let count = 0;
  let amountSum = 0n;
  let feeSum = 0n;
  const flush = () => {
    fs.writeSync(fd, `${buffer.join('\r\n')}\r\n`);
    buffer = [];
  };
  const line = (trade: string, order: string, amount: bigint, fee: bigint, at: Date) => {
    buffer.push(
      `${trade},${order},,交易,${formatMinor(amount, 'CNY')},${formatMinor(fee, 'CNY')},${shanghaiTime(at)},SUCCESS`,
    );
    count++;
    amountSum += amount;
    feeSum += fee;
    if (buffer.length >= 10_000) flush();
  };
  for (let i = FAULTS + 1; i <= lines; i++) {
    const amount = BigInt(1000 + (i % 5000)) + (i <= 2 * FAULTS ? 1n : 0n);
    const fee = i > 2 * FAULTS && i <= 3 * FAULTS ? 4n : 3n;
    line(`SBR${i}`, `R${i}`, amount, fee, new Date(from.getTime() + Math.floor(i * spacingMs)));
  }
  for (let i = 1; i <= FAULTS; i++) {
    line(`SBX${i}`, `X${i}`, 1000n, 3n, new Date(from.getTime() + 43_200_000 + i));
  }
  buffer.push(
    `合计,交易笔数=${count},交易金额=${formatMinor(amountSum, 'CNY')},退款笔数=0,退款金额=0.00,手续费=${formatMinor(feeSum, 'CNY')}`,
  );
  flush();
  fs.closeSync(fd);
}
