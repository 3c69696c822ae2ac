import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QingyunClient } from '../sdk/index.ts';
import type { Queryable } from '../src/db/index.ts';
import * as statsQueries from '../src/stats/queries.ts';
import { ConsoleClient, operatorConsole, uniqueName } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import {
  eventually,
  payOnSandbox,
  startTestPlatform,
  type TestPlatform,
  untilPaid,
} from './support/platform.ts';

/**
 * Statistics that scale (OP-8, MP-2, AG-4): the rollups the database keeps in each change's
 * transaction equal a recomputation from the raw orders and profit rows after a randomized run of
 * payments, failures and refunds; the dashboards read only rollups (EXPLAIN over a million orders);
 * the dashboards' figures are net of refunds.
 */

/**
 * Orders seeded for the EXPLAIN: a million on PostgreSQL; PGlite (one single-threaded WASM
 * process, minutes for a million rows) proves the same plans over a tenth of it.
 */
const seededOrders = (kind: string) =>
  Number(process.env.ROLLUP_SEEDED ?? (kind === 'postgres' ? 1_000_000 : 100_000));
const password = () => `pw7-${randomBytes(9).toString('base64url')}`;

/** A small seeded generator (mulberry32), so a failing run can be replayed from its seed. */
function generator(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)) };
}

/** The order rollup recomputed from pay_order, in the rollup's own shape. */
const RECOMPUTED_ORDER_HOURS = `
  SELECT date_trunc('hour', created_at) AS hour, merchant_id, product_id, COALESCE(channel_account_id, 0) AS channel_account_id,
         COALESCE(created_by_user_id, 0) AS cashier_id, test, currency, count(*)::bigint AS order_count,
         count(*) FILTER (WHERE paid_at IS NOT NULL)::bigint AS paid_count,
         count(*) FILTER (WHERE paid_at IS NULL AND state IN ('closed', 'failed'))::bigint AS unpaid_count,
         COALESCE(sum(amount) FILTER (WHERE paid_at IS NOT NULL), 0)::bigint AS paid_amount,
         COALESCE(sum(fee) FILTER (WHERE paid_at IS NOT NULL), 0)::bigint AS fee,
         COALESCE(sum(channel_cost) FILTER (WHERE paid_at IS NOT NULL), 0)::bigint AS channel_cost,
         COALESCE(sum(agent_commission) FILTER (WHERE paid_at IS NOT NULL), 0)::bigint AS agent_commission,
         COALESCE(sum(platform_profit) FILTER (WHERE paid_at IS NOT NULL), 0)::bigint AS platform_profit,
         count(*) FILTER (WHERE refunded_amount > 0)::bigint AS refunded_count,
         sum(refunded_amount)::bigint AS refunded_amount, sum(refunded_fee)::bigint AS refunded_fee,
         sum(refunded_channel_cost)::bigint AS refunded_channel_cost,
         sum(refunded_agent_commission)::bigint AS refunded_agent_commission
  FROM pay_order GROUP BY 1, 2, 3, 4, 5, 6, 7`;

const ORDER_HOUR_COLUMNS = `hour, merchant_id, product_id, channel_account_id, cashier_id, test, currency, order_count,
  paid_count, unpaid_count, paid_amount, fee, channel_cost, agent_commission, platform_profit, refunded_count,
  refunded_amount, refunded_fee, refunded_channel_cost, refunded_agent_commission`;

/** Rows of one side missing from the other (EXCEPT both ways), zero rows of the rollup left aside. */
async function differences(q: Queryable, rollup: string, recomputed: string, columns: string) {
  return q.query(
    `WITH r AS (SELECT ${columns} FROM ${rollup}), c AS (${recomputed})
     (SELECT 'rollup' AS side, * FROM r EXCEPT SELECT 'rollup', ${columns} FROM c)
     UNION ALL
     (SELECT 'recomputed', ${columns} FROM c EXCEPT SELECT 'recomputed', * FROM r)`,
  );
}

for (const database of testDatabases) {
  describe(`statistics rollups on ${database.kind}`, () => {
    let t: TestPlatform;
    let admin: ConsoleClient;
    let client: QingyunClient;
    let agentLogin: ConsoleClient;
    const product = uniqueName('st_p');
    let sequence = 0;
    const services = () => t.platform.services;

    beforeAll(async () => {
      t = await startTestPlatform(database);
      admin = await operatorConsole(t);
      const s = services();
      await s.catalog.createProduct({
        code: product,
        name: 'rollup product',
        currency: 'CNY',
        minAmount: 1n,
        maxAmount: 10_000_000n,
        defaultRatePpm: 6000,
        defaultMinimumFee: 5n,
      });
      for (const [i, id] of t.channelAccountIds.slice(0, 2).entries()) {
        await s.catalog.setChannelAccountRate(id, { productCode: product, costRatePpm: 2500 + i * 500 });
        await s.catalog.upsertBinding(product, id, {
          weight: 1,
          priority: 0,
          minAmount: null,
          maxAmount: null,
          dailyLimit: null,
          windowStart: null,
          windowEnd: null,
          enabled: true,
        });
      }
      const manager = { username: uniqueName('st_agent'), password: password() };
      const agent = await admin.ok<{ agentNo: string }>('POST', '/api/admin/agents', {
        name: 'Rollup agent',
        manager,
      });
      await admin.ok('PUT', `/api/admin/agents/${agent.agentNo}/rates/${product}`, { ratePpm: 4000 });
      agentLogin = new ConsoleClient(t.platform.url);
      expect(
        await agentLogin.login('agent', manager.username, manager.password, { newPassword: password() }),
      ).toBe('active');
      const merchant = await s.merchants.createMerchant({ name: 'Rollup merchant' });
      await s.catalog.setMerchantRate(merchant.id, product, 6000);
      await admin.ok('POST', `/api/admin/merchants/${merchant.mch_no}/move`, { agentNo: agent.agentNo });
      const { app, secret } = await s.merchants.createApp(merchant.mch_no, { name: 'rollup app' });
      client = new QingyunClient({
        baseUrl: t.platform.url,
        mchNo: merchant.mch_no,
        appId: app.appId,
        key: { type: 'HMAC-SHA256', secret },
      });
    }, 120_000);

    afterAll(async () => {
      await t?.stop();
    });

    it('keeps rollups equal to a recomputation from the raw orders through payments, failures and refunds', async () => {
      const seed = Number(process.env.ROLLUP_SEED ?? Date.now() % 100_000);
      const g = generator(seed);
      for (let i = 0; i < 24; i++) {
        const created = await client.createOrder({
          mchOrderNo: `ST-${seed}-${++sequence}`,
          productCode: product,
          amount: g.int(1, 50_000),
          subject: 'rollup',
        });
        const fate = g.next();
        if (fate < 0.15) continue; // left waiting
        if (fate < 0.3) {
          await services().orders.close(await services().orders.requireByOrderNo(created.orderNo), 'test');
          continue;
        }
        expect(await payOnSandbox(created.payData!.value)).toBe(200);
        const order = await untilPaid(client, created.orderNo);
        let left = order.amount;
        while (left > 0 && g.next() < 0.5) {
          const amount = g.next() < 0.4 ? left : g.int(1, left);
          const refund = await client.createRefund({
            orderNo: order.orderNo,
            mchRefundNo: `STR-${++sequence}`,
            amount,
          });
          const settled = await eventually(async () => {
            const r = await client.getRefund(refund.refundNo);
            return r.state === 'pending' ? undefined : r;
          });
          if (settled.state === 'succeeded') left -= amount;
        }
      }
      const q = services().db;
      expect(
        await differences(q, 'stats_order_hour', RECOMPUTED_ORDER_HOURS, ORDER_HOUR_COLUMNS),
        `seed ${seed}`,
      ).toEqual([]);
      expect(
        await differences(
          q,
          'stats_agent_hour',
          `SELECT date_trunc('hour', paid_at) AS hour, agent_id, merchant_id, product_id, test, currency,
                  count(*)::bigint AS paid_count, sum(order_amount)::bigint AS paid_amount, sum(amount)::bigint AS commission,
                  sum(refunded_amount)::bigint AS refunded_commission
           FROM order_profit WHERE agent_id IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6`,
          'hour, agent_id, merchant_id, product_id, test, currency, paid_count, paid_amount, commission, refunded_commission',
        ),
        `seed ${seed}`,
      ).toEqual([]);
      expect(
        await differences(
          q,
          'stats_channel_minute',
          `SELECT date_trunc('minute', created_at) AS minute, channel_account_id, test, count(*)::bigint AS order_count,
                  count(*) FILTER (WHERE paid_at IS NOT NULL)::bigint AS paid_count,
                  count(*) FILTER (WHERE paid_at IS NULL AND state IN ('closed', 'failed'))::bigint AS unpaid_count
           FROM pay_order WHERE channel_account_id IS NOT NULL GROUP BY 1, 2, 3`,
          'minute, channel_account_id, test, order_count, paid_count, unpaid_count',
        ),
        `seed ${seed}`,
      ).toEqual([]);
    });

    it('shows dashboards net of refunds: the operator’s, the merchant’s and the agent’s agree with the raw orders', async () => {
      const raw = (
        await services().db.query<{ paid: bigint; refunded: bigint; orders: bigint }>(
          `SELECT COALESCE(sum(amount) FILTER (WHERE paid_at IS NOT NULL), 0)::bigint AS paid,
                  COALESCE(sum(refunded_amount), 0)::bigint AS refunded, count(*)::bigint AS orders
           FROM pay_order WHERE product_code = $1`,
          [product],
        )
      )[0]!;
      const board = await admin.ok<{
        today: { paidAmount: number; refundedAmount: number; netAmount: number; orderCount: number };
        top: { agents: { paidAmount: number; commission: number }[] };
        channelRates: { last15: { orderCount: number }; last60: { orderCount: number }; falling: boolean }[];
        trend: { date: string; paidAmount: number }[];
      }>('GET', '/api/admin/dashboard?includeTest=1');
      expect(board.trend).toHaveLength(90);
      // The demo's own orders count too (other suites' orders are on other databases): at least these.
      expect(board.today.paidAmount).toBeGreaterThanOrEqual(Number(raw.paid));
      expect(board.today.refundedAmount).toBeGreaterThanOrEqual(Number(raw.refunded));
      expect(board.today.netAmount).toBe(board.today.paidAmount - board.today.refundedAmount);
      expect(board.channelRates.reduce((n, r) => n + r.last60.orderCount, 0)).toBeGreaterThanOrEqual(
        Number(raw.orders),
      );
      const agentBoard = await agentLogin.ok<{ today: { paidAmount: number; commission: number } }>(
        'GET',
        '/api/agent/dashboard?includeTest=1',
      );
      const commission = (
        await services().db.query<{ net: bigint }>(
          'SELECT COALESCE(sum(amount - refunded_amount), 0)::bigint AS net FROM order_profit WHERE level = 1',
        )
      )[0]!.net;
      expect(agentBoard.today).toMatchObject({
        paidAmount: Number(raw.paid),
        commission: Number(commission),
      });
      expect(board.top.agents[0]).toMatchObject({
        paidAmount: Number(raw.paid),
        commission: Number(commission),
      });
    });

    it(`reads only rollups for every dashboard query, over ${seededOrders(database.kind).toLocaleString('en')} orders`, async () => {
      const s = services();
      const [merchant] = await s.db.query<{ id: bigint }>('SELECT id FROM merchant ORDER BY id LIMIT 1');
      const [productRow] = await s.db.query<{ id: bigint }>('SELECT id FROM product WHERE code = $1', [
        product,
      ]);
      // A million paid orders over the last 90 days, in one statement (the rollup trigger folds it at once).
      await s.db.query(
        `INSERT INTO pay_order (order_no, merchant_id, app_id, mch_order_no, request_hash, product_id, product_code,
           channel_account_id, adapter_code, amount, currency, subject, state, merchant_rate_ppm, channel_rate_ppm, fee,
           channel_cost, platform_profit, expires_at, created_at, paid_at, test)
         SELECT 'S' || i, $1, 'seed', 'seed-' || i, '', $2, $3, $4, 'sandbox', 1000 + i % 5000, 'CNY', 'seed', 'paid',
                6000, 3000, 6, 3, 3, now(), now() - (i % 129600) * interval '1 minute',
                now() - (i % 129600) * interval '1 minute', false
         FROM generate_series(1, $5::int) AS i`,
        [merchant!.id, productRow!.id, product, t.channelAccountIds[0]!, seededOrders(database.kind)],
      );
      const now = new Date();
      const from = new Date(now.getTime() - 90 * 86_400_000);
      // Each of the dashboards' statements, captured as they are sent, then explained.
      const capture = (run: (q: Queryable) => Promise<unknown>) => {
        const sent: { sql: string; params: unknown[] }[] = [];
        const spy: Queryable = {
          query: async (sql: string, params?: unknown[]) => {
            sent.push({ sql, params: params ?? [] });
            return [{}];
          },
        } as unknown as Queryable;
        return run(spy).then(() => sent);
      };
      const statements = [
        ...(await capture((q) =>
          statsQueries.orderFigures(q, {
            from,
            to: now,
            timeZone: 'Asia/Shanghai',
            bucket: 'day',
            groupBy: 'merchant',
          }),
        )),
        ...(await capture((q) =>
          statsQueries.orderFigures(q, {
            from,
            to: now,
            timeZone: 'Asia/Shanghai',
            bucket: 'hour',
            groupBy: null,
            merchantId: merchant!.id,
            includeTest: true,
          }),
        )),
        ...(await capture((q) => statsQueries.testOrderCount(q, { from, to: now }))),
        ...(await capture((q) =>
          statsQueries.channelRates(q, {
            short: new Date(now.getTime() - 900_000),
            long: from,
            includeTest: false,
          }),
        )),
        ...(await capture((q) =>
          statsQueries.agentFigures(
            q,
            { from, to: now, timeZone: 'Asia/Shanghai', includeTest: true },
            'agent',
          ),
        )),
      ];
      expect(statements.length).toBe(5);
      for (const { sql, params } of statements) {
        const [plan] = await s.db.query<{ 'QUERY PLAN': unknown }>(
          `EXPLAIN (FORMAT JSON) ${sql}`,
          params as never,
        );
        const relations = JSON.stringify(plan!['QUERY PLAN']).match(/"Relation Name":\s*"([a-z_]+)"/g) ?? [];
        const names = [...new Set(relations.map((r) => r.replace(/.*"([a-z_]+)"$/, '$1')))];
        expect(names.length, sql).toBeGreaterThan(0);
        expect(
          names.every((n) => n.startsWith('stats_')),
          `${names.join(', ')} in ${sql}`,
        ).toBe(true);
      }
      // And the figures over the million match the raw orders.
      const rollup = await s.stats.platform({
        from,
        to: new Date(now.getTime() + 3_600_000),
        groupBy: 'product',
      });
      const seeded = rollup.rows.find((r) => r.key === product)!;
      const raw = await s.db.query<{ n: bigint; paid: bigint }>(
        `SELECT count(*)::bigint AS n, sum(amount)::bigint AS paid FROM pay_order
         WHERE product_id = $1 AND NOT test AND created_at >= $2`,
        [productRow!.id, new Date(rollup.from)],
      );
      expect(raw).toHaveLength(1);
      expect(seeded.orderCount).toBe(Number(raw[0]!.n));
      expect(seeded.paidAmount).toBe(Number(raw[0]!.paid));
    }, 300_000);
  });
}
