import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../app/services.ts';
import { noteAudit } from '../audit/service.ts';
import { requireMerchantUser, requireOperator, sessionOf } from '../auth/guards.ts';
import { exportFormat } from '../exports/routes.ts';
import { portalScope } from '../orders/portal-routes.ts';
import { blank } from '../orders/routes.ts';
import { importBatchView, importRowView } from './import.ts';
import { type FileOut, MAX_IMPORT_BYTES, templateFile } from './import-file.ts';
import { IMPORT_BATCH_STATES, IMPORT_ROW_OUTCOMES, type ImportBatchRow } from './import-queries.ts';
import { Cursor } from './schemas.ts';

/** base64 adds a third to the file's bytes. */
const UPLOAD_BODY_LIMIT = Math.ceil((MAX_IMPORT_BYTES * 4) / 3) + 64 * 1024;
const BatchParams = z.object({ batchNo: z.string().regex(/^MI\d{1,20}$/, 'must be an import batch number') });
const RowsQuery = z.object({
  after: blank(z.string().regex(/^\d{1,9}$/)),
  outcome: blank(z.enum(IMPORT_ROW_OUTCOMES)),
});
const ListQuery = z.object({ state: blank(z.enum(IMPORT_BATCH_STATES)), cursor: Cursor });

function sendFile(reply: FastifyReply, file: FileOut, name: string) {
  return reply
    .header('content-type', file.contentType)
    .header('content-disposition', `attachment; filename="${name}"`)
    .send(file.body);
}

async function rowsPage(services: Services, batch: ImportBatchRow, query: z.infer<typeof RowsQuery>) {
  const page = await services.memberImports.rows(batch, {
    afterLine: query.after ? Number(query.after) : undefined,
    outcome: query.outcome,
  });
  return { items: page.items.map(importRowView), nextCursor: page.nextCursor };
}

/**
 * The merchant portal's member import (批量导入, store managers): the template, the upload with its
 * validation report, sending a batch for review, the batches with their progress, and the result
 * file (回盘文件). Another merchant's batch is not found.
 */
export async function merchantMemberImportRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.addHook('preValidation', requireMerchantUser(services));
  const imports = services.memberImports;
  const tags = ['merchant portal: member import'];
  const manager = { merchantRole: 'manager' } as const;

  api.get(
    '/api/merchant/member-imports/template',
    {
      schema: {
        tags,
        summary: 'The import template (CSV or XLSX) with its Chinese headers',
        querystring: z.object(exportFormat),
      },
      config: manager,
    },
    async (request, reply) => {
      const file = await templateFile(request.query.format);
      return sendFile(reply, file, `member-import-template.${file.extension}`);
    },
  );

  api.post(
    '/api/merchant/member-imports',
    {
      schema: {
        tags,
        summary: `Upload a CSV or XLSX of at most 5 000 members for one app: every row is checked and nothing is created until an operator approves the batch`,
        body: z
          .object({
            appId: z.string().min(1).max(64).optional(),
            fileName: z.string().trim().max(128).optional(),
            /** The file's bytes, base64. */
            file: z.base64().min(1).max(UPLOAD_BODY_LIMIT),
          })
          .strict(),
      },
      bodyLimit: UPLOAD_BODY_LIMIT,
      config: manager,
    },
    async (request, reply) => {
      const merchantId = portalScope(request).merchantId;
      const keys = await services.merchants.orderingApp(merchantId, request.body.appId);
      const { batch, rows } = await imports.upload(
        { merchantId, appDbId: keys.appDbId },
        { name: request.body.fileName ?? '', bytes: Buffer.from(request.body.file, 'base64') },
        sessionOf(request).user.id,
      );
      const view = importBatchView(batch);
      // The audit row names the file and its counts, never its numbers.
      noteAudit(request, {
        targetId: batch.batch_no,
        after: { fileName: batch.file_name, totalRows: batch.total_rows, validRows: batch.valid_rows },
      });
      return reply.code(201).send({ batch: view, rows: rows.map(importRowView) });
    },
  );

  api.get(
    '/api/merchant/member-imports',
    {
      schema: { tags, summary: "The merchant's import batches, newest first", querystring: ListQuery },
      config: manager,
    },
    async (request) => {
      const page = await imports.list({
        merchantId: portalScope(request).merchantId,
        state: request.query.state,
        cursor: request.query.cursor ? BigInt(request.query.cursor) : undefined,
      });
      return { items: page.items.map((b) => importBatchView(b)), nextCursor: page.nextCursor };
    },
  );

  api.get(
    '/api/merchant/member-imports/:batchNo',
    { schema: { tags, summary: 'An import batch with its progress', params: BatchParams }, config: manager },
    async (request) =>
      importBatchView(
        await imports.requireForMerchant(portalScope(request).merchantId, request.params.batchNo),
      ),
  );

  api.get(
    '/api/merchant/member-imports/:batchNo/rows',
    {
      schema: {
        tags,
        summary: "A batch's rows with their report and outcome, in file order",
        params: BatchParams,
        querystring: RowsQuery,
      },
      config: manager,
    },
    async (request) => {
      const batch = await imports.requireForMerchant(portalScope(request).merchantId, request.params.batchNo);
      return rowsPage(services, batch, request.query);
    },
  );

  api.post(
    '/api/merchant/member-imports/:batchNo/submit',
    {
      schema: { tags, summary: 'Send a checked batch for the operators’ review', params: BatchParams },
      config: manager,
    },
    async (request) => {
      const before = await imports.requireForMerchant(
        portalScope(request).merchantId,
        request.params.batchNo,
      );
      const batch = await imports.submit(before);
      noteAudit(request, {
        targetId: batch.batch_no,
        before: { state: before.state },
        after: { state: batch.state },
      });
      return importBatchView(batch);
    },
  );

  api.get(
    '/api/merchant/member-imports/:batchNo/result',
    {
      schema: {
        tags,
        summary: 'The result file (回盘文件): every row with its outcome, member number and error',
        params: BatchParams,
        querystring: z.object(exportFormat),
      },
      config: manager,
    },
    async (request, reply) => {
      const batch = await imports.requireForMerchant(portalScope(request).merchantId, request.params.batchNo);
      const file = await imports.resultFile(batch, request.query.format);
      return sendFile(reply, file, file.name);
    },
  );
}

/**
 * The operators' review of member imports (会员导入审核): every merchant's submitted batches, a
 * batch's rows and report, approve (the worker then opens the members) or reject with a reason.
 */
export async function adminMemberImportRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.addHook('preValidation', requireOperator(services));
  const imports = services.memberImports;
  const tags = ['operator: member import review'];
  const read = { permission: 'merchant.read' } as const;
  const write = { permission: 'merchant.write' } as const;
  const withMerchant = async (batches: ImportBatchRow[]) => {
    const names = await services.merchants.merchantsByIds([...new Set(batches.map((b) => b.merchant_id))]);
    return batches.map((b) => importBatchView(b, names.get(b.merchant_id)?.name ?? ''));
  };

  api.get(
    '/api/admin/member-imports',
    {
      schema: {
        tags,
        summary: 'Submitted import batches of every merchant, newest first',
        querystring: ListQuery.extend({ mchNo: blank(z.string().max(32)) }),
      },
      config: read,
    },
    async (request) => {
      const q = request.query;
      if (q.state === 'draft') return { items: [], nextCursor: null };
      let merchantId: bigint | undefined;
      if (q.mchNo) {
        const merchant = await services.merchants.findMerchantByNo(q.mchNo);
        if (!merchant) return { items: [], nextCursor: null };
        merchantId = merchant.id;
      }
      const page = await imports.list({
        merchantId,
        state: q.state,
        submittedOnly: true,
        cursor: q.cursor ? BigInt(q.cursor) : undefined,
      });
      return { items: await withMerchant(page.items), nextCursor: page.nextCursor };
    },
  );

  api.get(
    '/api/admin/member-imports/:batchNo',
    {
      schema: { tags, summary: 'An import batch with its merchant and progress', params: BatchParams },
      config: read,
    },
    async (request) => (await withMerchant([await imports.requireSubmitted(request.params.batchNo)]))[0],
  );

  api.get(
    '/api/admin/member-imports/:batchNo/rows',
    {
      schema: {
        tags,
        summary: "A batch's rows with their report and outcome",
        params: BatchParams,
        querystring: RowsQuery,
      },
      config: read,
    },
    async (request) =>
      rowsPage(services, await imports.requireSubmitted(request.params.batchNo), request.query),
  );

  api.post(
    '/api/admin/member-imports/:batchNo/approve',
    {
      schema: {
        tags,
        summary: 'Approve a batch: the worker opens its valid rows’ members',
        params: BatchParams,
      },
      config: write,
    },
    async (request) => {
      const before = await imports.requireSubmitted(request.params.batchNo);
      const batch = await imports.approve(before, sessionOf(request).user.id);
      noteAudit(request, {
        targetId: batch.batch_no,
        before: { state: before.state },
        after: { state: batch.state },
      });
      return importBatchView(batch);
    },
  );

  api.post(
    '/api/admin/member-imports/:batchNo/reject',
    {
      schema: {
        tags,
        summary: 'Reject a batch with a reason: nothing of it is created',
        params: BatchParams,
        body: z.object({ reason: z.string().trim().min(1).max(200) }).strict(),
      },
      config: write,
    },
    async (request) => {
      const before = await imports.requireSubmitted(request.params.batchNo);
      const batch = await imports.reject(before, sessionOf(request).user.id, request.body.reason);
      noteAudit(request, {
        targetId: batch.batch_no,
        before: { state: before.state },
        after: { state: batch.state, reason: batch.reject_reason },
      });
      return importBatchView(batch);
    },
  );

  api.get(
    '/api/admin/member-imports/:batchNo/result',
    {
      schema: {
        tags,
        summary: 'The result file (回盘文件) of a batch',
        params: BatchParams,
        querystring: z.object(exportFormat),
      },
      config: read,
    },
    async (request, reply) => {
      const batch = await imports.requireSubmitted(request.params.batchNo);
      const file = await imports.resultFile(batch, request.query.format);
      return sendFile(reply, file, file.name);
    },
  );
}
