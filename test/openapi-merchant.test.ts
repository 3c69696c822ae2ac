import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { signRequest } from '../sdk/index.ts';
import {
  BalanceSchema,
  ErrorEnvelope,
  EscrowSchema,
  MERCHANT_OPERATIONS,
  MemberCardSchema,
  MemberCardsSchema,
  MemberEntriesSchema,
  MemberSchema,
  MemberTransferSchema,
  OrderSchema,
  PayoutSchema,
  RefundSchema,
  WithdrawalSchema,
} from '../src/app/openapi-document.ts';
import { testDatabases } from './support/databases.ts';
import { createTestMember } from './support/members.ts';
import { eventually, payOnSandbox, startTestPlatform, type TestPlatform } from './support/platform.ts';

type Operations = Record<string, Record<string, { responses: Record<string, unknown> }>>;

/**
 * The OpenAPI document's merchant answers are written beside the routes (src/app/openapi-document.ts):
 * real answers of every merchant operation must match them exactly (strict objects: no field missing,
 * none undocumented), and every status the API answered must be one the document lists.
 */
describe.each(testDatabases)(
  'the OpenAPI document describes the merchant API as it answers on $kind',
  (database) => {
    let t: TestPlatform;
    let paths: Operations;
    const seen = new Set<string>();
    const run = `OA${Date.now()}`;

    /** One signed call: checks the status is documented for the operation and the body has the schema. */
    async function call<T>(
      method: 'GET' | 'POST' | 'DELETE',
      documentedPath: string,
      pathWithQuery: string,
      schema: z.ZodType<T>,
      payload?: unknown,
    ): Promise<{ status: number; body: T }> {
      const body = payload === undefined ? '' : JSON.stringify(payload);
      const { mchNo, appId, appSecret } = t.demo.merchant;
      const headers = signRequest({
        method,
        pathWithQuery,
        body,
        mchNo,
        appId,
        key: { type: 'HMAC-SHA256', secret: appSecret },
      });
      if (body) headers['content-type'] = 'application/json';
      const response = await fetch(`${t.platform.url}${pathWithQuery}`, {
        method,
        headers,
        body: body || undefined,
      });
      const text = await response.text();
      const json = text ? JSON.parse(text) : undefined;
      const operation = paths[documentedPath]?.[method.toLowerCase()];
      expect(operation, `${method} ${documentedPath} is in the document`).toBeDefined();
      expect(
        Object.keys(operation!.responses),
        `${method} ${documentedPath} documents ${response.status}`,
      ).toContain(String(response.status));
      seen.add(`${method} ${documentedPath}`);
      const parsed = schema.safeParse(json);
      expect(parsed.error?.issues ?? [], `${method} ${pathWithQuery} answers as documented`).toEqual([]);
      return { status: response.status, body: parsed.data! };
    }

    beforeAll(async () => {
      t = await startTestPlatform(database);
      paths = (await (await fetch(`${t.platform.url}/docs/json`)).json()).paths;
    }, 60_000);

    afterAll(async () => {
      await t?.stop();
    });

    it('orders, refunds, the balance, withdrawals, payouts and refusals', async () => {
      const create = {
        mchOrderNo: `${run}-1`,
        productCode: 'sandbox_qr',
        amount: 20_000,
        subject: 'OpenAPI',
        extra: { table: 7 },
      };
      const created = await call('POST', '/api/v1/orders', '/api/v1/orders', OrderSchema, create);
      expect(created.status).toBe(201);
      expect((await call('POST', '/api/v1/orders', '/api/v1/orders', OrderSchema, create)).status).toBe(200);
      const orderNo = created.body.orderNo;
      expect(await payOnSandbox(created.body.payData!.value)).toBe(200);
      await eventually(async () => ((await t.client.getOrder(orderNo)).state === 'paid' ? true : undefined));
      const paid = await call('GET', '/api/v1/orders/{orderNo}', `/api/v1/orders/${orderNo}`, OrderSchema);
      expect(paid.body).toMatchObject({ state: 'paid', extra: { table: 7 } });
      await call('GET', '/api/v1/orders', `/api/v1/orders?mchOrderNo=${create.mchOrderNo}`, OrderSchema);
      await call('POST', '/api/v1/orders/{orderNo}/sync', `/api/v1/orders/${orderNo}/sync`, OrderSchema, {});

      const refused = await call(
        'POST',
        '/api/v1/orders/{orderNo}/close',
        `/api/v1/orders/${orderNo}/close`,
        ErrorEnvelope,
        {},
      );
      expect(refused).toMatchObject({ status: 409, body: { code: 'ORDER_STATE_INVALID' } });
      const cancelled = await call(
        'POST',
        '/api/v1/orders/{orderNo}/cancel',
        `/api/v1/orders/${orderNo}/cancel`,
        ErrorEnvelope,
        {},
      );
      expect(cancelled.body.code).toBe('ORDER_STATE_INVALID');
      const missing = await call(
        'GET',
        '/api/v1/orders/{orderNo}',
        '/api/v1/orders/P00000000000000000000',
        ErrorEnvelope,
      );
      expect(missing).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });

      const unpaid = await call('POST', '/api/v1/orders', '/api/v1/orders', OrderSchema, {
        ...create,
        mchOrderNo: `${run}-2`,
      });
      const closed = await call(
        'POST',
        '/api/v1/orders/{orderNo}/close',
        `/api/v1/orders/${unpaid.body.orderNo}/close`,
        OrderSchema,
        {},
      );
      expect(closed.body.state).toBe('closed');

      const refund = await call('POST', '/api/v1/refunds', '/api/v1/refunds', RefundSchema, {
        orderNo,
        mchRefundNo: `${run}-R`,
        amount: 1_000,
        reason: 'OpenAPI',
      });
      expect(refund.status).toBe(201);
      await eventually(async () =>
        (await t.client.getRefund(refund.body.refundNo)).state === 'succeeded' ? true : undefined,
      );
      await call(
        'GET',
        '/api/v1/refunds/{refundNo}',
        `/api/v1/refunds/${refund.body.refundNo}`,
        RefundSchema,
      );
      await call('GET', '/api/v1/refunds', `/api/v1/refunds?mchRefundNo=${run}-R`, RefundSchema);
      const tooMuch = await call('POST', '/api/v1/refunds', '/api/v1/refunds', ErrorEnvelope, {
        orderNo,
        mchRefundNo: `${run}-R2`,
        amount: 1_000_000,
      });
      expect(tooMuch.body.code).toBe('REFUND_AMOUNT_EXCEEDED');

      await t.platform.services.settlement.run();
      await call('GET', '/api/v1/balance', '/api/v1/balance', BalanceSchema);
      const withdrawal = await call('POST', '/api/v1/withdrawals', '/api/v1/withdrawals', WithdrawalSchema, {
        mchWithdrawNo: `${run}-W`,
        amount: 3_000,
      });
      expect(withdrawal.status).toBe(201);
      await call(
        'GET',
        '/api/v1/withdrawals/{withdrawNo}',
        `/api/v1/withdrawals/${withdrawal.body.withdrawNo}`,
        WithdrawalSchema,
      );
      await call(
        'GET',
        '/api/v1/withdrawals',
        `/api/v1/withdrawals?mchWithdrawNo=${run}-W`,
        WithdrawalSchema,
      );
      const payout = await call('POST', '/api/v1/payouts', '/api/v1/payouts', PayoutSchema, {
        mchPayoutNo: `${run}-P`,
        amount: 2_000,
        payee: { name: '张三', accountNo: '6222020200112233445', bankName: '工商银行' },
      });
      expect(payout.status).toBe(201);
      await call(
        'GET',
        '/api/v1/payouts/{payoutNo}',
        `/api/v1/payouts/${payout.body.payoutNo}`,
        PayoutSchema,
      );
      await call('GET', '/api/v1/payouts', `/api/v1/payouts?mchPayoutNo=${run}-P`, PayoutSchema);

      // Members: open, verify, activate, a card bound and removed, a transfer, entries, a withdrawal.
      const member = (n: number) => `${run}-member-${n}`;
      const m = '/api/v1/members/{bizUserId}';
      for (const n of [1, 2]) {
        const body = {
          bizUserId: member(n),
          type: 'personal',
          name: `会员 ${n}`,
          idNo: `11010119900101123${n}`,
        };
        expect((await call('POST', '/api/v1/members', '/api/v1/members', MemberSchema, body)).status).toBe(
          201,
        );
        await call('POST', `${m}/verify`, `/api/v1/members/${member(n)}/verify`, MemberSchema);
        await call('POST', `${m}/state`, `/api/v1/members/${member(n)}/state`, MemberSchema, {
          state: 'active',
        });
      }
      await call('GET', m, `/api/v1/members/${member(1)}`, MemberSchema);
      const cardBody = { accountNo: '6222020000111122223', bankName: '沙箱银行', phone: '13800000001' };
      const cards = `/api/v1/members/${member(1)}/bank-cards`;
      const card = await call('POST', `${m}/bank-cards`, cards, MemberCardSchema, cardBody);
      await call('GET', `${m}/bank-cards`, cards, MemberCardsSchema);
      const removed = await call(
        'DELETE',
        `${m}/bank-cards/{cardId}`,
        `${cards}/${card.body.id}`,
        z.undefined(),
      );
      expect(removed.status).toBe(204);
      const transfer = await call(
        'POST',
        '/api/v1/member-transfers',
        '/api/v1/member-transfers',
        ErrorEnvelope,
        {
          transferNo: `${run}-T`,
          fromBizUserId: member(1),
          toBizUserId: member(2),
          amount: 100,
        },
      );
      expect(transfer).toMatchObject({ status: 409, body: { code: 'INSUFFICIENT_BALANCE' } });
      const seeded = await t.platform.services.members.requireByBizUserId(
        (await t.platform.services.merchants.appKeys(t.demo.merchant.appId))!.appDbId,
        member(1),
      );
      const available = { kind: 'member_available', ownerId: seeded.id, currency: 'CNY' } as const;
      const revenue = { kind: 'platform_revenue', ownerId: null, currency: 'CNY' } as const;
      await t.platform.services.ledger.openAccounts([available, revenue]);
      await t.platform.services.db.tx((q) =>
        t.platform.services.ledger.post(q, {
          kind: 'test_seed',
          reference: run,
          idempotencyKey: `test_seed:${run}`,
          legs: [
            { account: revenue, amount: -10_000n },
            { account: available, amount: 10_000n },
          ],
        }),
      );
      const moved = await call(
        'POST',
        '/api/v1/member-transfers',
        '/api/v1/member-transfers',
        MemberTransferSchema,
        {
          transferNo: `${run}-T2`,
          fromBizUserId: member(1),
          toBizUserId: member(2),
          amount: 100,
        },
      );
      expect(moved.status).toBe(201);
      await call('GET', `${m}/entries`, `/api/v1/members/${member(1)}/entries`, MemberEntriesSchema);
      await call('POST', `${m}/bank-cards`, cards, MemberCardSchema, cardBody);
      const memberWithdrawal = await call(
        'POST',
        `${m}/withdrawals`,
        `/api/v1/members/${member(1)}/withdrawals`,
        WithdrawalSchema,
        { mchWithdrawNo: `${run}-MW`, amount: 1000 },
      );
      await call(
        'GET',
        `${m}/withdrawals/{withdrawNo}`,
        `/api/v1/members/${member(1)}/withdrawals/${memberWithdrawal.body.withdrawNo}`,
        WithdrawalSchema,
      );
      // Escrow: an order held for a member, its query and a confirmation.
      await createTestMember(t.platform.services, {
        appId: t.demo.merchant.appId,
        bizUserId: `${run}-seller`,
      });
      const held = await call('POST', '/api/v1/orders', '/api/v1/orders', OrderSchema, {
        ...create,
        mchOrderNo: `${run}-E`,
        payee: { bizUserId: `${run}-seller` },
        escrow: true,
      });
      expect(await payOnSandbox(held.body.payData!.value)).toBe(200);
      await eventually(async () =>
        (await t.client.getOrder(held.body.orderNo)).state === 'paid' ? true : undefined,
      );
      const escrow = await call(
        'GET',
        '/api/v1/escrow/{orderNo}',
        `/api/v1/escrow/${held.body.orderNo}`,
        EscrowSchema,
      );
      expect(escrow.body.state).toBe('holding');
      const confirmed = await call(
        'POST',
        '/api/v1/escrow/{orderNo}/confirm',
        `/api/v1/escrow/${held.body.orderNo}/confirm`,
        EscrowSchema,
        { confirmNo: `${run}-C`, amount: 1_000 },
      );
      expect(confirmed.body).toMatchObject({ state: 'partially_released', released: 1_000 });

      const unsigned = await fetch(`${t.platform.url}/api/v1/balance`);
      expect(ErrorEnvelope.parse(await unsigned.json()).code).toBe('SIGNATURE_MISSING');
      expect(Object.keys(paths['/api/v1/balance']!.get!.responses)).toContain(String(unsigned.status));

      // Every merchant route has its answers described in src/app/openapi-document.ts.
      const documented = Object.entries(paths)
        .filter(([p]) => p.startsWith('/api/v1/'))
        .flatMap(([p, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${p}`));
      expect(documented.sort()).toEqual(Object.keys(MERCHANT_OPERATIONS).sort());
      // Every merchant operation the document describes was called here but the statement file
      // (its own suite, test/merchant-statements.test.ts) — so a new one is not left undescribed here.
      expect([...seen].sort()).toEqual(
        Object.keys(MERCHANT_OPERATIONS)
          .filter((key) => key !== 'GET /api/v1/statements')
          .sort(),
      );
    }, 60_000);
  },
);
