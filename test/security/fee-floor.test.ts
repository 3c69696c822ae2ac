import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Refund } from '../../sdk/index.ts';
import { ledgerReport } from '../../src/app/platform.ts';
import { type ConsoleClient, operatorConsole } from '../support/console.ts';
import { testDatabases } from '../support/databases.ts';
import { eventually, paidSandboxOrder, startTestPlatform, type TestPlatform } from '../support/platform.ts';

/**
 * fee floor: at 0.6 % an order of 83 fen or less paid no fee. Rates now have a fixed part
 * and a minimum (products, merchant rates, channel account costs), the fee never exceeds the amount,
 * the rate rule compares each part, and refunds give the fee back exactly.
 */
describe.each(testDatabases)('fee floor on $kind', (database) => {
  let t: TestPlatform;
  let admin: ConsoleClient;
  let mchNo: string;

  beforeAll(async () => {
    t = await startTestPlatform(database);
    admin = await operatorConsole(t);
    mchNo = t.demo.merchant.mchNo;
    // The demo agent sells sandbox_qr too, so the costs below must stay within its chain part by
    // part (cost ≤ agent ≤ its merchant): the floor is raised from the merchant up, as an operator must.
    const { agentNo, mchNo: agentMchNo } = t.demo.agent;
    await admin.ok('PUT', `/api/admin/merchants/${agentMchNo}/products/sandbox_qr`, {
      ratePpm: 6000,
      minimumFee: 10,
    });
    await admin.ok('PUT', `/api/admin/agents/${agentNo}/rates/sandbox_qr`, { ratePpm: 5000, minimumFee: 8 });
  });
  afterAll(async () => {
    await t?.stop();
  });

  const services = () => t.platform.services;
  const merchantRate = (body: Record<string, unknown>) =>
    admin.send<Refusal>('PUT', `/api/admin/merchants/${mchNo}/products/sandbox_qr`, body);
  const costs = [3800, 4500];
  const channelCost = (index: number, body: Record<string, unknown>) =>
    admin.send<Refusal>('PUT', `/api/admin/channel-accounts/${t.channelAccountIds[index]}/rates/sandbox_qr`, {
      costRatePpm: costs[index],
      ...body,
    });
  /** The merchants' guarded balances (pending and available): what the merchants are owed. */
  const merchantsOwed = async () =>
    (
      await services().db.query<{ n: bigint }>(
        'SELECT COALESCE(sum(balance), 0)::bigint AS n FROM ledger_account WHERE guarded',
      )
    )[0]!.n;
  const orderRow = (orderNo: string) => services().orders.requireByOrderNo(orderNo);

  it('keeps each part of a channel cost within the merchant’s, and names the part that is not', async () => {
    expect((await merchantRate({ ratePpm: 6000, fixedFee: 0, minimumFee: 10 })).status).toBe(200);
    for (const index of [0, 1]) expect((await channelCost(index, { minimumCost: 8 })).status).toBe(200);

    // A merchant minimum below a bound channel's: refused, naming the minimum, in yuan.
    const below = await merchantRate({ ratePpm: 6000, minimumFee: 5 });
    expect(below.status).toBe(400);
    expect(below.body).toMatchObject({
      code: 'RATE_RULE_VIOLATION',
      details: { component: 'minimum', productCode: 'sandbox_qr', merchant: 5, channel: 8 },
    });
    expect(below.body.message).toContain('minimum fee 0.05 yuan');
    expect(below.body.message).toContain('minimum fee 0.08 yuan');
    // A channel's fixed cost above the merchant's (none): refused, naming the fixed part.
    const fixed = await channelCost(0, { fixedCost: 1, minimumCost: 8 });
    expect(fixed.body).toMatchObject({ code: 'RATE_RULE_VIOLATION', details: { component: 'fixed' } });
    const minimum = await channelCost(1, { minimumCost: 11 });
    expect(minimum.body).toMatchObject({ code: 'RATE_RULE_VIOLATION', details: { component: 'minimum' } });
    const rate = await channelCost(1, { costRatePpm: 6001, minimumCost: 8 });
    expect(rate.body).toMatchObject({ code: 'RATE_RULE_VIOLATION', details: { component: 'ratePpm' } });
    expect(rate.body.message).toContain('rate 0.6001 %');

    // Nothing changed.
    const detail = await admin.ok<{
      products: { productCode: string; minimumFee: number; fixedFee: number }[];
    }>('GET', `/api/admin/merchants/${mchNo}`);
    expect(detail.products.find((p) => p.productCode === 'sandbox_qr')).toMatchObject({
      fixedFee: 0,
      minimumFee: 10,
    });
    const accounts = await admin.ok<{ id: string; rates: { minimumCost: number; fixedCost: number }[] }[]>(
      'GET',
      '/api/admin/channel-accounts',
    );
    for (const account of accounts.filter((a) => t.channelAccountIds.map(String).includes(a.id))) {
      expect(account.rates[0]).toMatchObject({ fixedCost: 0, minimumCost: 8 });
    }
  });

  it('charges a 50-fen order the 0.10-yuan minimum, balances the ledger, and refunds the fee exactly', async () => {
    const owedBefore = await merchantsOwed();
    const order = await paidSandboxOrder(t.client, { mchOrderNo: 'FLOOR-50', amount: 50, subject: 'floor' });
    expect(order.fee).toBe(10);
    const row = await orderRow(order.orderNo);
    // 0.38 % / 0.45 % of 50 fen rounds to 0: the channel's 8-fen minimum applies; the platform keeps 2.
    expect({ fee: row.fee, cost: row.channel_cost, profit: row.platform_profit }).toEqual({
      fee: 10n,
      cost: 8n,
      profit: 2n,
    });
    expect(await merchantsOwed()).toBe(owedBefore + 40n);
    expect((await ledgerReport(services())).ok).toBe(true);

    // Refunded in two parts: 20 fen gives back 4 of the fee, the rest gives back the other 6.
    const settled = (refundNo: string) =>
      eventually(async () => {
        const refund = await t.client.getRefund(refundNo);
        return refund.state === 'pending' ? undefined : refund;
      });
    const first: Refund = await t.client.createRefund({
      orderNo: order.orderNo,
      mchRefundNo: 'FLOOR-50-R1',
      amount: 20,
    });
    expect(first.feeRefund).toBe(4);
    expect((await settled(first.refundNo)).state).toBe('succeeded');
    const second = await t.client.createRefund({
      orderNo: order.orderNo,
      mchRefundNo: 'FLOOR-50-R2',
      amount: 30,
    });
    expect(second.feeRefund).toBe(6);
    expect((await settled(second.refundNo)).state).toBe('succeeded');

    const refunded = await orderRow(order.orderNo);
    expect(refunded.state).toBe('refunded');
    expect({ fee: refunded.refunded_fee, cost: refunded.refunded_channel_cost }).toEqual({
      fee: 10n,
      cost: 8n,
    });
    expect(await merchantsOwed()).toBe(owedBefore);
    const report = await ledgerReport(services());
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('never charges more than the amount: an order below the minimum pays all of it, the merchant nothing', async () => {
    const owedBefore = await merchantsOwed();
    const order = await paidSandboxOrder(t.client, { mchOrderNo: 'FLOOR-5', amount: 5, subject: 'tiny' });
    expect(order.fee).toBe(5);
    const row = await orderRow(order.orderNo);
    expect({ cost: row.channel_cost, profit: row.platform_profit }).toEqual({ cost: 5n, profit: 0n });
    expect(await merchantsOwed()).toBe(owedBefore);
    expect((await ledgerReport(services())).ok).toBe(true);

    // Its refund gives back the whole fee with the amount: the merchant is debited nothing.
    const refund = await t.client.createRefund({
      orderNo: order.orderNo,
      mchRefundNo: 'FLOOR-5-R',
      amount: 5,
    });
    expect(refund.feeRefund).toBe(5);
    expect(await merchantsOwed()).toBe(owedBefore);
    expect((await ledgerReport(services())).ok).toBe(true);
  });
});

interface Refusal {
  code: string;
  message: string;
  details?: Record<string, unknown>;
}
