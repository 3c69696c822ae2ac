import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../app/services.ts';
import { noteAudit } from '../audit/service.ts';
import { requireMerchantUser, requireOperator } from '../auth/guards.ts';
import { AppError } from '../errors.ts';
import { exportFormat } from '../exports/routes.ts';
import { type ExportColumn, yuan } from '../exports/stream.ts';
import * as ledgerQueries from '../ledger/queries.ts';
import { toJsonAmount } from '../money/money.ts';
import { portalScope } from '../orders/portal-routes.ts';
import { blank, merchantSignatureGuard, pageCursorOf, windowOf } from '../orders/routes.ts';
import { addDays, localDate, TimeBound } from '../stats/time.ts';
import { word } from '../words.ts';
import type { RecordDay } from './queries.ts';
import type { SettlementTerms } from './terms.ts';

const DAY = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date (YYYY-MM-DD)')
  .refine((d) => addDays(d, 0) === d, { message: 'must be a date that exists' });
const page = {
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
};
const ACCOUNTS = [
  'pending',
  'available',
  'frozen',
  'reserved',
  'settled_by_channel',
  'test_settled',
] as const;
const dayRange = { from: blank(DAY), to: blank(DAY) };

export const TermsBody = z
  .object({
    mode: z.enum(['platform', 'direct']),
    cycle: z.enum(['D0', 'D1', 'T1', 'TN']),
    d0Ppm: z.number().int().min(0).max(1_000_000),
    tnDays: z.number().int().min(1).max(30),
    reservePpm: z.number().int().min(0).max(1_000_000),
    reserveDays: z.number().int().min(0).max(365),
  })
  .strict();

const entriesQuery = {
  from: blank(TimeBound),
  to: blank(TimeBound),
  type: blank(z.string().max(32)),
  account: blank(z.enum(ACCOUNTS)),
};

/** A fund flow's page: its size and a cursor, `after` (the older page) or `before` (the newer one), an entry's id. */
const entryPageQuery = {
  limit: z.coerce.number().int().min(1).max(100).default(20),
  after: blank(z.string().regex(/^\d{1,18}$/, 'must be an entry id')),
  before: blank(z.string().regex(/^\d{1,18}$/, 'must be an entry id')),
};

/** A fund flow counts its matches up to this; beyond it the portal shows "10 000+". */
const ENTRY_LIST_COUNT_BOUND = 10_000;

function balanceView(b: Awaited<ReturnType<Services['settlement']['balanceOf']>>) {
  return {
    currency: b.currency,
    mode: b.mode,
    pending: toJsonAmount(b.pending),
    available: toJsonAmount(b.available),
    frozen: toJsonAmount(b.frozen),
    reserved: toJsonAmount(b.reserved),
  };
}

function recordView(r: RecordDay) {
  return {
    date: r.day,
    mode: r.kind as 'platform' | 'direct',
    orderCount: Number(r.order_count),
    gross: toJsonAmount(r.gross),
    fee: toJsonAmount(r.fee),
    refunds: toJsonAmount(r.refunds),
    net: toJsonAmount(r.net),
    reserve: toJsonAmount(r.reserve),
    reserveReleased: toJsonAmount(r.reserve_released),
    settledAt: r.settled_at.toISOString(),
  };
}

function entryView(e: ledgerQueries.EntryRow) {
  return {
    id: e.id.toString(),
    at: e.at.toISOString(),
    account: e.account.replace(/^merchant_/, ''),
    type: e.type,
    reference: e.reference,
    amount: toJsonAmount(e.amount),
    balanceAfter: toJsonAmount(e.balance_after),
  };
}

/** Settlement's routes: the signed balance API, the merchant portal's money screens, the operators'. */
export async function settlementRoutes(app: FastifyInstance, { services }: { services: Services }) {
  await app.register(merchantBalanceRoutes, { services });
  await app.register(portalSettlementRoutes, { services });
  await app.register(operatorSettlementRoutes, { services });
}

async function merchantBalanceRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.addHook('preValidation', merchantSignatureGuard(services));
  api.get(
    '/api/v1/balance',
    {
      schema: {
        tags: ['merchant'],
        summary: "The merchant's balances",
        description:
          'pending: paid, not yet settled; available: settled, may be withdrawn; frozen: in a withdrawal or payout; ' +
          'reserved: risk reserve held. Direct mode adds settledByChannel: what the channel owes the merchant.',
        security: [{ merchantSignature: [] }],
      },
    },
    async (request) => {
      const b = await services.settlement.balanceOf(request.merchantApp!.merchantId);
      return b.mode === 'direct'
        ? { ...balanceView(b), settledByChannel: toJsonAmount(b.settledByChannel) }
        : balanceView(b);
    },
  );
}

async function portalSettlementRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.addHook('preValidation', requireMerchantUser(services));
  const tags = ['merchant portal: settlement'];
  const manager = { merchantRole: 'manager' } as const;
  const tz = services.settlement.timeZone;

  api.get(
    '/api/merchant/balance',
    { schema: { tags, summary: 'Balances and settlement terms (store manager)' }, config: manager },
    async (request) => {
      const b = await services.settlement.balanceOf(portalScope(request).merchantId);
      return {
        ...balanceView(b),
        settledByChannel: toJsonAmount(b.settledByChannel),
        terms: termsView(b.terms),
      };
    },
  );

  const filterOf = (
    merchantId: bigint,
    q: { from?: string; to?: string; type?: string; account?: string },
  ) => ({
    merchantId,
    ...windowOf(q, tz),
    type: q.type,
    account: q.account ? `merchant_${q.account}` : undefined,
  });

  api.get(
    '/api/merchant/account-entries',
    {
      schema: {
        tags,
        summary:
          'Account entries, newest first, each with its account balance after it, a page at a time from a cursor (after / before: an entry id); the total is counted up to 10 000 (totalCapped beyond) (store manager)',
        querystring: z.object({ ...entriesQuery, ...entryPageQuery }),
      },
      config: manager,
    },
    async (request) => {
      const q = request.query;
      const filter = filterOf(portalScope(request).merchantId, q);
      const [page, count] = await Promise.all([
        ledgerQueries.entryListPage(services.db, filter, pageCursorOf(q), q.limit),
        ledgerQueries.countEntriesUpTo(services.db, filter, ENTRY_LIST_COUNT_BOUND),
      ]);
      return {
        items: page.rows.map(entryView),
        total: count.count,
        totalCapped: count.capped,
        nextCursor: page.nextCursor,
        previousCursor: page.previousCursor,
      };
    },
  );

  api.get(
    '/api/merchant/account-entries/export',
    {
      schema: {
        tags,
        summary:
          'Export account entries as CSV or XLSX, oldest first, each with its balance after it (store manager; at most the exports.maxRows setting)',
        querystring: z.object({ ...entriesQuery, ...exportFormat }),
      },
      config: manager,
    },
    async (request, reply) => {
      const q = request.query;
      const filter = filterOf(portalScope(request).merchantId, q);
      return services.exports.send(reply, {
        name: 'account-entries',
        sheet: '资金流水',
        format: q.format,
        columns: entryColumns(services.exports.time),
        count: () => ledgerQueries.countEntries(services.db, filter),
        page: (afterId, limit) => ledgerQueries.entriesAfter(services.db, filter, afterId, limit),
        idOf: (e) => e.id,
        shape: (rows) => rows,
      });
    },
  );

  api.get(
    '/api/merchant/settlements',
    {
      schema: {
        tags,
        summary: 'Settlement records per day (store manager)',
        querystring: z.object({ ...dayRange, ...page }),
      },
      config: manager,
    },
    async (request) => {
      const q = request.query;
      const rows = await services.settlement.listRecords({
        merchantId: portalScope(request).merchantId,
        from: q.from,
        to: q.to,
        limit: q.pageSize,
        offset: (q.page - 1) * q.pageSize,
      });
      return { items: rows.map(recordView), total: Number(rows[0]?.total ?? 0n) };
    },
  );

  const rangeOf = (q: { from?: string; to?: string }) => {
    const to = q.to ?? localDate(new Date(), tz);
    const from = q.from ?? addDays(to, -30);
    if (from > to) throw new AppError('INVALID_REQUEST', 'to: must not be before from', { field: 'to' });
    if (addDays(from, 366) < to)
      throw new AppError('INVALID_REQUEST', 'at most a year at once', { field: 'to' });
    return { from, to };
  };

  api.get(
    '/api/merchant/daily-balances',
    {
      schema: { tags, summary: 'End-of-day balances (store manager)', querystring: z.object(dayRange) },
      config: manager,
    },
    async (request) => {
      const { from, to } = rangeOf(request.query);
      const rows = await ledgerQueries.merchantDailyBalances(
        services.db,
        portalScope(request).merchantId,
        from,
        to,
      );
      const byDay = new Map<
        string,
        { date: string; pending: number; available: number; frozen: number; reserved: number }
      >();
      for (const r of rows) {
        const item = byDay.get(r.day) ?? { date: r.day, pending: 0, available: 0, frozen: 0, reserved: 0 };
        const key = r.kind.replace(/^merchant_/, '');
        if (key === 'pending' || key === 'available' || key === 'frozen' || key === 'reserved')
          item[key] = toJsonAmount(r.balance);
        byDay.set(r.day, item);
      }
      return { items: [...byDay.values()], total: byDay.size };
    },
  );

  api.get(
    '/api/merchant/channel-settlements',
    {
      schema: {
        tags,
        summary:
          'Direct mode: per day what the channel was expected to pay the merchant and what it paid (store manager)',
        querystring: z.object(dayRange),
      },
      config: manager,
    },
    async (request) => {
      const merchantId = portalScope(request).merchantId;
      const { from, to } = rangeOf(request.query);
      const rows = await services.settlement.channelSettlements(merchantId, from, to);
      return {
        items: rows.map((r) => ({
          date: r.day,
          expected: toJsonAmount(r.expected),
          settled: toJsonAmount(r.settled ?? 0n),
        })),
        total: rows.length,
        outstanding: toJsonAmount(await services.settlement.directOutstanding(merchantId)),
      };
    },
  );
}

function termsView(t: SettlementTerms) {
  return {
    mode: t.mode,
    cycle: t.cycle,
    d0Ppm: t.d0Ppm,
    tnDays: t.tnDays,
    reservePpm: t.reservePpm,
    reserveDays: t.reserveDays,
  };
}

/** The account-entry file: the screen's columns in its words, amounts in yuan, times on the platform's clock. */
function entryColumns(time: (at: Date | null) => string | null): ExportColumn<ledgerQueries.EntryRow>[] {
  return [
    { key: 'at', header: '记账时间', cell: (e) => time(e.at) },
    { key: 'type', header: '业务类型', cell: (e) => word('entryType', e.type) },
    { key: 'account', header: '账户', cell: (e) => word('balance', e.account.replace(/^merchant_/, '')) },
    { key: 'reference', header: '关联单号', cell: (e) => e.reference },
    { key: 'amount', header: '变动金额', money: true, cell: (e) => yuan(e.amount) },
    { key: 'balanceAfter', header: '变动后余额', money: true, cell: (e) => yuan(e.balance_after) },
    { key: 'id', header: '流水号', cell: (e) => e.id.toString() },
  ];
}

async function operatorSettlementRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.addHook('preValidation', requireOperator(services));
  const tags = ['operator: settlement'];
  const read = { permission: 'finance.read' } as const;
  const configure = { permission: 'finance.configure' } as const;
  const tz = services.settlement.timeZone;

  api.get(
    '/api/admin/settlement/calendar',
    {
      schema: {
        tags,
        summary: 'Days with whether each is a business day, and the operators’ entries',
        querystring: z.object(dayRange),
      },
      config: read,
    },
    async (request) => {
      const today = localDate(new Date(), tz);
      const from = request.query.from ?? `${today.slice(0, 4)}-01-01`;
      const to = request.query.to ?? `${from.slice(0, 4)}-12-31`;
      return services.settlement.calendar(from, to);
    },
  );

  const DayParams = z.object({ date: DAY });
  api.put(
    '/api/admin/settlement/holidays/:date',
    {
      schema: {
        tags,
        summary: 'Mark a day a holiday or a make-up working day (调休)',
        params: DayParams,
        body: z
          .object({ kind: z.enum(['holiday', 'workday']), name: z.string().trim().max(64).default('') })
          .strict(),
      },
      config: configure,
    },
    async (request) => {
      const { date } = request.params;
      const before = await services.settlement.putCalendarDay(date, request.body.kind, request.body.name);
      noteAudit(request, {
        targetType: 'setting',
        targetId: `calendar:${date}`,
        before,
        after: request.body,
      });
      return { date, kind: request.body.kind, name: request.body.name };
    },
  );

  api.delete(
    '/api/admin/settlement/holidays/:date',
    {
      schema: {
        tags,
        summary: 'Remove a day from the calendar (it follows the week again)',
        params: DayParams,
      },
      config: configure,
    },
    async (request, reply) => {
      const { date } = request.params;
      const before = await services.settlement.deleteCalendarDay(date);
      noteAudit(request, { targetType: 'setting', targetId: `calendar:${date}`, before });
      return reply.code(204).send();
    },
  );

  const DefaultsBody = z.object({ terms: TermsBody, settleTestOrders: z.boolean() }).strict();
  api.get(
    '/api/admin/settlement/defaults',
    {
      schema: {
        tags,
        summary: 'Settlement terms of merchants without their own, and whether test orders settle',
      },
      config: read,
    },
    async () => {
      const d = await services.settlement.defaults();
      return { terms: termsView(d.terms), settleTestOrders: d.settleTestOrders };
    },
  );
  api.put(
    '/api/admin/settlement/defaults',
    {
      schema: {
        tags,
        summary: 'Change the default settlement terms and the test-order rule',
        body: DefaultsBody,
      },
      config: configure,
    },
    async (request) => {
      const before = await services.settlement.defaults();
      await services.settlement.setDefaults(request.body);
      noteAudit(request, {
        targetType: 'setting',
        targetId: 'settlement.defaults',
        before: { terms: termsView(before.terms), settleTestOrders: before.settleTestOrders },
        after: request.body,
      });
      return request.body;
    },
  );

  const MchParams = z.object({ mchNo: z.string().min(1).max(32) });
  const merchantOf = async (mchNo: string) => {
    const merchant = await services.merchants.findMerchantByNo(mchNo);
    if (!merchant) throw new AppError('NOT_FOUND', `merchant ${mchNo} not found`);
    return merchant;
  };
  api.get(
    '/api/admin/merchants/:mchNo/settlement-terms',
    {
      schema: {
        tags,
        summary: "A merchant's settlement terms (the defaults when it has none)",
        params: MchParams,
      },
      config: read,
    },
    async (request) =>
      termsView(await services.settlementTerms.termsOf((await merchantOf(request.params.mchNo)).id)),
  );
  api.put(
    '/api/admin/merchants/:mchNo/settlement-terms',
    {
      schema: { tags, summary: "Set a merchant's settlement terms", params: MchParams, body: TermsBody },
      config: configure,
    },
    async (request) => {
      const merchant = await merchantOf(request.params.mchNo);
      const before = termsView(await services.settlementTerms.termsOf(merchant.id));
      await services.settlementTerms.setTerms(services.db, merchant.id, request.body);
      noteAudit(request, { targetType: 'merchant', targetId: merchant.mch_no, before, after: request.body });
      return termsView(request.body);
    },
  );

  api.get(
    '/api/admin/settlements',
    {
      schema: {
        tags,
        summary: 'Settlement records per merchant and day',
        querystring: z.object({ mchNo: blank(z.string().max(32)), ...dayRange, ...page }),
      },
      config: read,
    },
    async (request) => {
      const q = request.query;
      const merchant = q.mchNo ? await services.merchants.findMerchantByNo(q.mchNo) : undefined;
      if (merchant === null) return { items: [], total: 0 };
      const rows = await services.settlement.listRecords({
        merchantId: merchant?.id,
        from: q.from,
        to: q.to,
        limit: q.pageSize,
        offset: (q.page - 1) * q.pageSize,
      });
      return {
        items: rows.map((r) => ({ ...recordView(r), mchNo: r.mch_no, merchantName: r.merchant_name })),
        total: Number(rows[0]?.total ?? 0n),
      };
    },
  );

  api.get(
    '/api/admin/balances',
    {
      schema: {
        tags,
        summary: "Merchants' balances",
        querystring: z.object({ q: blank(z.string().trim().max(64)), ...page }),
      },
      config: read,
    },
    async (request) => {
      const q = request.query;
      const rows = await ledgerQueries.balancesList(services.db, {
        search: q.q,
        limit: q.pageSize,
        offset: (q.page - 1) * q.pageSize,
      });
      const items = [];
      for (const r of rows) {
        items.push({
          mchNo: r.mch_no,
          merchantName: r.name,
          mode: (await services.settlementTerms.termsOf(r.merchant_id)).mode,
          pending: toJsonAmount(r.pending),
          available: toJsonAmount(r.available),
          frozen: toJsonAmount(r.frozen),
          reserved: toJsonAmount(r.reserved),
        });
      }
      return { items, total: Number(rows[0]?.total ?? 0n) };
    },
  );

  api.post(
    '/api/admin/settlement/run',
    { schema: { tags, summary: 'Run the settlement job now; answers what it did' }, config: configure },
    async (request) => {
      const summary = await services.settlement.run();
      noteAudit(request, { targetType: 'setting', targetId: 'settlement.run', after: summary });
      return summary;
    },
  );
}
