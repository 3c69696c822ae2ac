import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../app/services.ts';
import { requireMerchantUser } from '../auth/guards.ts';
import { AppError } from '../errors.ts';
import { toJsonAmount } from '../money/money.ts';
import { portalScope } from '../orders/portal-routes.ts';
import { blank, merchantSignatureGuard } from '../orders/routes.ts';
import { addDays, localDate } from '../stats/time.ts';
import type { StatementFormat } from './queries.ts';
import type { AccountDay, DaySummary, StatementFile } from './service.ts';

const DAY = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date (YYYY-MM-DD)')
  .refine((d) => addDays(d, 0) === d, { message: 'must be a date that exists' });
const MONTH = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month (YYYY-MM)');

const fileQuery = z.object({
  date: blank(DAY),
  month: blank(MONTH),
  format: z.enum(['txt', 'xlsx']).default('txt'),
});

/** Which period a file request names: exactly one of date and month. */
function periodOf(q: { date?: string; month?: string }) {
  if (q.date && q.month) {
    throw new AppError('INVALID_REQUEST', 'give either date or month, not both', { field: 'month' });
  }
  if (q.date) return { kind: 'day' as const, period: q.date };
  if (q.month) return { kind: 'month' as const, period: q.month };
  throw new AppError('INVALID_REQUEST', 'date or month is required', { field: 'date' });
}

function sendFile(reply: FastifyReply, file: StatementFile) {
  reply.header('content-disposition', `attachment; filename="${file.fileName}"`);
  reply.header('x-qy-statement-sha256', file.sha256);
  reply.header('cache-control', 'private, no-store');
  reply.type(file.contentType);
  return reply.send(file.bytes);
}

const FILE_DESCRIPTION =
  'The statement file itself. date=YYYY-MM-DD: a day (format txt — UTF-8 with BOM, CRLF, `|`-separated ' +
  'sections with a header row, amounts in yuan — or xlsx with the sheets 汇总, 订单, 退款, 结算, 提现, 代付); ' +
  'month=YYYY-MM: a month (xlsx only: 汇总 and 每日汇总). Days are the platform time zone. A day or ' +
  'month that has not ended is refused with 400 INVALID_REQUEST, details.reason statement_not_ready.';

/** Merchants' statements: the signed merchant API and the merchant portal (store manager). */
export async function statementRoutes(app: FastifyInstance, { services }: { services: Services }) {
  await app.register(merchantStatementApiRoutes, { services });
  await app.register(portalStatementRoutes, { services });
}

async function merchantStatementApiRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.addHook('preValidation', merchantSignatureGuard(services));
  api.get(
    '/api/v1/statements',
    {
      schema: {
        tags: ['merchant'],
        summary: "Download the merchant's statement (对账单) of a day or a month",
        description: FILE_DESCRIPTION,
        querystring: fileQuery,
        security: [{ merchantSignature: [] }],
      },
    },
    async (request, reply) => {
      const q = request.query;
      const file = await services.statements.file(
        request.merchantApp!.merchantId,
        periodOf(q),
        q.format as StatementFormat,
      );
      return sendFile(reply, file);
    },
  );
}

function summaryView(t: DaySummary) {
  return {
    orderCount: t.orderCount,
    orderAmount: toJsonAmount(t.orderAmount),
    orderFee: toJsonAmount(t.orderFee),
    orderNet: toJsonAmount(t.orderNet),
    testOrderCount: t.testOrderCount,
    refundCount: t.refundCount,
    refundAmount: toJsonAmount(t.refundAmount),
    settledNet: toJsonAmount(t.settledNet),
    withdrawalCount: t.withdrawalCount,
    withdrawalAmount: toJsonAmount(t.withdrawalAmount),
    payoutCount: t.payoutCount,
    payoutAmount: toJsonAmount(t.payoutAmount),
  };
}

function accountsView(accounts: AccountDay[]) {
  return accounts.map((a) => ({
    account: a.account,
    currency: a.currency,
    opening: toJsonAmount(a.opening),
    change: toJsonAmount(a.change),
    closing: toJsonAmount(a.closing),
  }));
}

async function portalStatementRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.addHook('preValidation', requireMerchantUser(services));
  const tags = ['merchant portal: statements'];
  const manager = { merchantRole: 'manager' } as const;

  api.get(
    '/api/merchant/statements',
    {
      schema: {
        tags,
        summary:
          "A month's days with their statement figures (store manager); the platform's current month by default",
        querystring: z.object({ month: blank(MONTH) }),
      },
      config: manager,
    },
    async (request) => {
      const month =
        request.query.month ??
        localDate(services.statements.clock(), services.statements.timeZone).slice(0, 7);
      const o = await services.statements.monthOverview(portalScope(request).merchantId, month);
      return {
        mchNo: o.statement.merchant.mchNo,
        month: o.statement.month,
        mode: o.statement.mode,
        monthReady: o.monthReady,
        totals: summaryView(o.statement.totals),
        accounts: accountsView(o.statement.accounts),
        items: o.days.map((d) => ({
          date: d.day,
          ready: d.ready,
          stored: d.stored,
          ...summaryView(d.summary),
          accounts: accountsView(d.accounts),
        })),
      };
    },
  );

  api.get(
    '/api/merchant/statements/file',
    {
      schema: {
        tags,
        summary: 'Download a statement file (store manager)',
        description: FILE_DESCRIPTION,
        querystring: fileQuery,
      },
      config: manager,
    },
    async (request, reply) => {
      const q = request.query;
      const file = await services.statements.file(
        portalScope(request).merchantId,
        periodOf(q),
        q.format as StatementFormat,
      );
      return sendFile(reply, file);
    },
  );
}
