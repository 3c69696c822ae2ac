import { gunzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../app/services.ts';
import { noteAudit } from '../audit/service.ts';
import { requireOperator, sessionOf } from '../auth/guards.ts';
import { AppError } from '../errors.ts';
import { exportFormat } from '../exports/routes.ts';
import { toJsonAmount } from '../money/money.ts';
import { blank } from '../orders/routes.ts';
import { checkCompletionPassword } from '../settings/completion-password.ts';
import { addDays } from '../stats/time.ts';
import { sendItemExport } from './exports.ts';
import { settingsSchema } from './settings.ts';
import { BATCH_STATES, type BatchRow, ITEM_CLASSES, type ItemRow } from './types.ts';

/** An uploaded statement: a day of a large merchant is several MB; base64 adds a third. */
const UPLOAD_MAX_BYTES = 12 * 1024 * 1024;
const UPLOAD_BODY_LIMIT = Math.ceil((UPLOAD_MAX_BYTES * 4) / 3) + 64 * 1024;

const DAY = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date (YYYY-MM-DD)')
  .refine((d) => addDays(d, 0) === d, { message: 'must be a date that exists' });
const ID = z.string().regex(/^[1-9]\d{0,17}$/, 'must be an id');
const page = {
  page: z.coerce.number().int().min(1).default(1),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
};
const money = (amount: bigint | null) => (amount === null ? null : toJsonAmount(amount));

function batchView(b: BatchRow) {
  const cls = (count: number, amount: bigint) => ({ count, amount: toJsonAmount(amount) });
  return {
    id: b.id.toString(),
    channelAccountId: b.channel_account_id.toString(),
    day: b.business_day,
    state: b.state,
    source: b.source,
    runNo: b.run_no,
    fileName: b.file_name,
    fileSha256: b.file_sha256,
    fileBytes: b.file_bytes,
    lineCount: b.line_count,
    channel: {
      paymentCount: b.channel_payment_count,
      paymentAmount: toJsonAmount(b.channel_payment_amount),
      refundCount: b.channel_refund_count,
      refundAmount: toJsonAmount(b.channel_refund_amount),
      fee: money(b.channel_fee),
    },
    platform: {
      paymentCount: b.platform_payment_count,
      paymentAmount: toJsonAmount(b.platform_payment_amount),
      refundCount: b.platform_refund_count,
      refundAmount: toJsonAmount(b.platform_refund_amount),
      cost: toJsonAmount(b.platform_cost),
    },
    summary: {
      matched: cls(b.matched_count, b.matched_amount),
      matchedRefunds: cls(b.matched_refund_count, b.matched_refund_amount),
      platform_only: cls(b.platform_only_count, b.platform_only_amount),
      channel_only: cls(b.channel_only_count, b.channel_only_amount),
      amount_mismatch: cls(b.amount_mismatch_count, b.amount_mismatch_amount),
      status_mismatch: cls(b.status_mismatch_count, b.status_mismatch_amount),
      fee_mismatch: cls(b.fee_mismatch_count, b.fee_mismatch_amount),
      ignored: b.ignored_count,
      carriedOut: b.carried_out_count,
      carriedInMatched: b.carried_in_matched,
    },
    fileTotals:
      b.file_payment_count === null
        ? null
        : {
            paymentCount: b.file_payment_count,
            paymentAmount: money(b.file_payment_amount),
            refundCount: b.file_refund_count,
            refundAmount: money(b.file_refund_amount),
            fee: money(b.file_fee),
          },
    totalsTieOut: b.totals_tie_out,
    failure: b.failure,
    startedBy: b.started_by?.toString() ?? null,
    startedAt: b.started_at.toISOString(),
    finishedAt: b.finished_at?.toISOString() ?? null,
  };
}

function itemView(i: ItemRow) {
  return {
    id: i.id.toString(),
    batchId: i.batch_id.toString(),
    channelAccountId: i.channel_account_id.toString(),
    day: i.business_day,
    class: i.class,
    kind: i.kind,
    orderNo: i.order_no,
    refundNo: i.refund_no,
    channelTradeNo: i.channel_trade_no,
    ours: {
      amount: money(i.our_amount),
      state: i.our_state,
      fee: money(i.our_fee),
      at: i.our_at?.toISOString() ?? null,
    },
    channel: {
      amount: money(i.channel_amount),
      status: i.channel_status,
      fee: money(i.channel_fee),
      at: i.channel_at?.toISOString() ?? null,
    },
    carriedFromDay: i.carried_from_day,
    carryState: i.carry_state,
    resolution: i.resolution,
    resolutionNote: i.resolution_note,
    resolvedBy: i.resolved_by?.toString() ?? null,
    resolvedAt: i.resolved_at?.toISOString() ?? null,
    createdAt: i.created_at.toISOString(),
    updatedAt: i.updated_at.toISOString(),
  };
}

/** The operators' reconciliation routes (operator-only: the guard refuses every other area). */
export async function reconciliationRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.addHook('preValidation', requireOperator(services));
  const tags = ['operator: reconciliation'];
  const read = { permission: 'reconciliation.read' } as const;
  const operate = { permission: 'reconciliation.operate' } as const;
  const recon = services.reconciliation;
  const BatchParams = z.object({ id: ID });
  const ItemParams = z.object({ id: ID });

  api.get(
    '/api/admin/reconciliation/batches',
    {
      schema: {
        tags,
        summary: 'Reconciliation batches (one per channel account and business day), newest day first',
        querystring: z.object({
          channelAccountId: blank(ID),
          day: blank(DAY),
          from: blank(DAY),
          to: blank(DAY),
          state: blank(z.enum(BATCH_STATES)),
          ...page,
        }),
      },
      config: read,
    },
    async (request) => {
      const q = request.query;
      const { rows, total } = await recon.listBatches({
        channelAccountId: q.channelAccountId === undefined ? undefined : BigInt(q.channelAccountId),
        from: q.day ?? q.from,
        to: q.day ?? q.to,
        state: q.state,
        limit: q.pageSize,
        offset: (q.page - 1) * q.pageSize,
      });
      return { items: rows.map(batchView), total, page: q.page, pageSize: q.pageSize };
    },
  );

  api.get(
    '/api/admin/reconciliation/settings',
    {
      schema: {
        tags,
        summary:
          'Carry-over (minutes before midnight, days to wait) and when the daily job fetches yesterday’s statement, per adapter',
      },
      config: read,
    },
    async () => recon.settings(),
  );

  api.put(
    '/api/admin/reconciliation/settings',
    {
      schema: { tags, summary: 'Change the reconciliation settings', body: settingsSchema },
      config: operate,
    },
    async (request) => {
      const before = await recon.setSettings(request.body);
      noteAudit(request, { targetType: 'setting', targetId: 'reconciliation', before, after: request.body });
      return recon.settings();
    },
  );

  api.get(
    '/api/admin/reconciliation/batches/:id',
    {
      schema: { tags, summary: 'One batch with its figures per side and per class', params: BatchParams },
      config: read,
    },
    async (request) => batchView(await recon.requireBatch(BigInt(request.params.id))),
  );

  api.get(
    '/api/admin/reconciliation/batches/:id/items',
    {
      schema: {
        tags,
        summary: "A batch's discrepancies and carried records, by class and resolution",
        params: BatchParams,
        querystring: z.object({
          class: blank(z.enum(ITEM_CLASSES)),
          resolution: blank(z.enum(['open', 'resolved'])),
          ...page,
        }),
      },
      config: read,
    },
    async (request) => {
      const q = request.query;
      const { rows, total } = await recon.items({
        batchId: BigInt(request.params.id),
        class: q.class,
        resolution: q.resolution,
        limit: q.pageSize,
        offset: (q.page - 1) * q.pageSize,
      });
      return { items: rows.map(itemView), total, page: q.page, pageSize: q.pageSize };
    },
  );

  api.get(
    '/api/admin/reconciliation/batches/:id/items/export',
    {
      schema: {
        tags,
        summary:
          "Export a batch's discrepancies and carried records (every class, or the class and resolution asked for) as CSV or XLSX",
        params: BatchParams,
        querystring: z.object({
          class: blank(z.enum(ITEM_CLASSES)),
          resolution: blank(z.enum(['open', 'resolved'])),
          ...exportFormat,
        }),
      },
      config: read,
    },
    async (request, reply) => {
      const batch = await recon.requireBatch(BigInt(request.params.id));
      const q = request.query;
      return sendItemExport(
        services,
        reply,
        { batchId: batch.id, class: q.class, resolution: q.resolution },
        q.format,
      );
    },
  );

  api.get(
    '/api/admin/reconciliation/batches/:id/file',
    {
      schema: { tags, summary: 'The statement file as it was fetched or uploaded', params: BatchParams },
      config: read,
    },
    async (request, reply) => {
      const file = await recon.file(BigInt(request.params.id));
      return reply
        .header('content-type', 'application/octet-stream')
        .header('content-disposition', `attachment; filename="${file.name.replace(/[^\w.-]/g, '_')}"`)
        .header('cache-control', 'no-store')
        .send(gunzipSync(file.gzip));
    },
  );

  api.post(
    '/api/admin/reconciliation/batches',
    {
      schema: {
        tags,
        summary:
          "Reconcile (again) a channel account's day: its statement is fetched from the channel; a re-run replaces the batch's findings and keeps the resolutions of those found again",
        body: z.object({ channelAccountId: ID, day: DAY }).strict(),
      },
      config: operate,
    },
    async (request) => {
      const { channelAccountId, day } = request.body;
      const batch = await recon.run(BigInt(channelAccountId), day, { userId: sessionOf(request).user.id });
      noteAudit(request, {
        targetType: 'recon_batch',
        targetId: batch.id.toString(),
        after: { channelAccountId, day, state: batch.state, runNo: batch.run_no },
      });
      return batchView(batch);
    },
  );

  api.post(
    '/api/admin/reconciliation/uploads',
    {
      schema: {
        tags,
        summary:
          "Reconcile a statement file downloaded from the channel by hand (the channel's own format), for a channel account and day",
        body: z
          .object({
            channelAccountId: ID,
            day: DAY,
            fileName: z.string().trim().max(128).optional(),
            /** The file's bytes, base64. */
            file: z.base64().min(1).max(UPLOAD_BODY_LIMIT),
          })
          .strict(),
      },
      bodyLimit: UPLOAD_BODY_LIMIT,
      config: operate,
    },
    async (request) => {
      const { channelAccountId, day, fileName } = request.body;
      const bytes = Buffer.from(request.body.file, 'base64');
      if (bytes.length > UPLOAD_MAX_BYTES) {
        throw new AppError('FILE_TOO_LARGE', 'the statement file is too large', {
          maxBytes: UPLOAD_MAX_BYTES,
        });
      }
      const batch = await recon.upload(
        BigInt(channelAccountId),
        day,
        { name: fileName ?? null, bytes },
        { userId: sessionOf(request).user.id },
      );
      noteAudit(request, {
        targetType: 'recon_batch',
        targetId: batch.id.toString(),
        // The file is kept on the batch; the audit row names it, not its bytes.
        after: { channelAccountId, day, fileName, fileSha256: batch.file_sha256, state: batch.state },
      });
      return batchView(batch);
    },
  );

  api.post(
    '/api/admin/reconciliation/items/:id/resolve',
    {
      schema: {
        tags,
        summary: 'Mark a discrepancy resolved, with what was done about it',
        params: ItemParams,
        body: z.object({ note: z.string().trim().min(1, 'say how it was resolved').max(500) }).strict(),
      },
      config: operate,
    },
    async (request) => {
      const { before, after } = await recon.resolve(
        BigInt(request.params.id),
        request.body.note,
        sessionOf(request).user.id,
      );
      noteAudit(request, {
        targetType: 'recon_item',
        targetId: after.id.toString(),
        before: { class: before.class, resolution: before.resolution },
        after: { resolution: after.resolution, note: after.resolution_note },
      });
      return itemView(after);
    },
  );

  api.post(
    '/api/admin/reconciliation/items/:id/complete',
    {
      schema: {
        tags,
        summary:
          '补单 from the statement: a payment the channel took that we have unpaid (channel_only) is paid by manual completion — once, with one merchant notify — and the item resolved',
        params: ItemParams,
        body: z
          .object({
            completionPassword: z.string().min(1).max(256),
            remark: z.string().trim().min(1, 'say why the order is completed').max(256),
          })
          .strict(),
      },
      config: { permission: 'reconciliation.operate' },
    },
    async (request, reply) => {
      // The completion password first, as for 补单 on the order: a wrong one learns and changes nothing.
      const user = sessionOf(request).user;
      await checkCompletionPassword(services, request, reply, user.id, request.body.completionPassword);
      const { item, before, order } = await recon.completeOrder(
        BigInt(request.params.id),
        { userId: user.id, username: user.username },
        request.body.remark,
      );
      noteAudit(request, {
        targetType: 'order',
        targetId: order.order_no,
        before: { state: before.state, reconciliationItem: item.id.toString() },
        after: {
          state: order.state,
          manualCompletion: { by: user.username, remark: request.body.remark },
          reconciliationItem: item.id.toString(),
        },
      });
      return { item: itemView(item), order: { orderNo: order.order_no, state: order.state } };
    },
  );
}
