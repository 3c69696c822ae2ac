import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../app/services.ts';
import { noteAudit } from '../audit/service.ts';
import { requireOperator, sessionOf } from '../auth/guards.ts';
import { grants } from '../auth/permissions.ts';
import { feeMinor } from '../catalog/routes.ts';
import { AppError } from '../errors.ts';
import { MAX_DOCUMENT_BYTES } from './documents.ts';
import { APPLICATION_STATES, BLACKLIST_KINDS, DOCUMENT_KINDS, MERCHANT_TYPES } from './queries.ts';
import { type ApplicationInput, applicationView, EVERY_APPLICATION } from './service.ts';

export const ApplicationNoParams = z.object({ applicationNo: z.string().min(1).max(32) });
export const DocumentParams = ApplicationNoParams.extend({ kind: z.enum(DOCUMENT_KINDS) });

const text = (max: number) => z.string().trim().max(max);
/** A sealed number: on an edit, omitted or empty keeps the one stored. */
const sealedNumber = z.string().max(64).optional();

export const ApplicationBody = z.object({
  merchantType: z.enum(MERCHANT_TYPES),
  merchantName: text(128).min(1),
  shortName: text(64).optional(),
  legalName: text(64).min(1),
  idNumber: sealedNumber,
  licenceNo: sealedNumber,
  contactName: text(64).min(1),
  phone: sealedNumber,
  email: z.email().max(128).or(z.literal('')).optional(),
  businessCategory: text(64).optional(),
  cardHolder: text(128).min(1),
  bankName: text(128).min(1),
  bankBranch: text(128).optional(),
  cardNo: sealedNumber,
  rates: z
    .array(
      z.object({
        productCode: z.string().min(1).max(64),
        ratePpm: z.number().int().min(0).max(1_000_000),
        fixedFee: feeMinor.optional(),
        minimumFee: feeMinor.optional(),
      }),
    )
    .max(50),
});

/**
 * A document as base64 (a data: URL prefix is allowed); the route's body limit leaves room for the
 * largest document's base64 and the JSON around it.
 */
export const DocumentBody = z.object({ content: z.string().min(1) });
export const DOCUMENT_BODY_LIMIT = Math.ceil((MAX_DOCUMENT_BYTES * 4) / 3) + 64 * 1024;

export const Page = {
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).default(0),
};
export const ListQuery = z.object({
  state: z.enum(APPLICATION_STATES).optional(),
  q: z.string().max(64).optional(),
  ...Page,
});

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The document's bytes from the body's base64. */
export function documentBytes(content: string): Buffer {
  const b64 = content.replace(/^data:[^,]*;base64,/, '').replace(/\s+/g, '');
  if (!BASE64.test(b64) || b64.length % 4 === 1) {
    throw new AppError('INVALID_REQUEST', 'content: not base64', { field: 'content' });
  }
  return Buffer.from(b64, 'base64');
}

/**
 * The audit hook writes a failed request's body when the route noted nothing: replace the numbers
 * and the file first, so no number or document ever reaches the audit log in the clear.
 */
export function auditWithoutNumbers(request: FastifyRequest, _reply: FastifyReply, done: () => void) {
  const body = request.body;
  if (body && typeof body === 'object') {
    const safe: Record<string, unknown> = { ...(body as Record<string, unknown>) };
    for (const key of ['idNumber', 'licenceNo', 'phone', 'cardNo', 'value']) {
      if (typeof safe[key] === 'string' && safe[key]) safe[key] = '***';
    }
    if (typeof safe.content === 'string') safe.content = `(${safe.content.length} characters)`;
    noteAudit(request, { after: safe });
  }
  done();
}

/** A document as the response: its own type, never cached, never sniffed, shown inline. */
export function sendDocument(reply: FastifyReply, kind: string, doc: { contentType: string; bytes: Buffer }) {
  const ext = { 'image/jpeg': 'jpg', 'image/png': 'png', 'application/pdf': 'pdf' }[doc.contentType] ?? 'bin';
  return reply
    .type(doc.contentType)
    .header('cache-control', 'no-store')
    .header('x-content-type-options', 'nosniff')
    .header('content-disposition', `inline; filename="${kind}.${ext}"`)
    .send(doc.bytes);
}

/** The application as the audit log keeps it: masked numbers, no documents. */
export function auditView(app: Parameters<typeof applicationView>[0]) {
  const { updatedAt: _u, createdAt: _c, ...rest } = applicationView(app);
  return rest;
}

const read = { permission: 'onboarding.read' } as const;
const review = { permission: 'onboarding.review' } as const;
const blacklist = { permission: 'onboarding.blacklist' } as const;

/**
 * Operator API for onboarding (进件审核, AG-5): the review queue, applications opened by operators,
 * documents, the review actions, and the blacklist.
 */
export async function onboardingAdminRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  // First, so that even a request the guard refuses is audited without its numbers.
  api.addHook('preValidation', auditWithoutNumbers);
  api.addHook('preValidation', requireOperator(services));
  const tags = ['operator: onboarding'];
  const onboarding = services.onboarding;
  const base = '/api/admin/onboarding/applications';
  const note = (request: FastifyRequest, application: Parameters<typeof auditView>[0], before?: unknown) =>
    noteAudit(request, {
      targetType: 'onboarding_application',
      targetId: application.application_no,
      before,
      after: auditView(application),
    });

  api.get(
    base,
    {
      schema: { tags, summary: 'The applications, newest first (numbers masked)', querystring: ListQuery },
      config: read,
    },
    async (request) => {
      const { state, q, limit, offset } = request.query;
      return onboarding.list(EVERY_APPLICATION, {
        states: state ? [state] : undefined,
        search: q || undefined,
        limit,
        offset,
      });
    },
  );

  api.post(
    base,
    {
      schema: {
        tags,
        summary: 'Open an application (a draft) for a merchant under `agentNo`, or the platform’s own',
        body: ApplicationBody.extend({ agentNo: z.string().max(32).nullish() }),
      },
      config: review,
    },
    async (request, reply) => {
      const { agentNo, ...input } = request.body;
      const created = await onboarding.create(
        input as ApplicationInput,
        agentNo ?? null,
        EVERY_APPLICATION,
        sessionOf(request).user.id,
      );
      note(request, created);
      return reply.code(201).send(applicationView(created));
    },
  );

  api.get(
    `${base}/:applicationNo`,
    {
      schema: {
        tags,
        summary:
          'An application with its documents, history and blacklist hits; reviewers also get the numbers in full',
        params: ApplicationNoParams,
      },
      config: read,
    },
    async (request) => {
      const full = grants(sessionOf(request).user.permissions, 'onboarding.review');
      return onboarding.detail(request.params.applicationNo, EVERY_APPLICATION, full);
    },
  );

  api.put(
    `${base}/:applicationNo`,
    {
      schema: {
        tags,
        summary: 'Change a draft, or an application changes were asked for',
        params: ApplicationNoParams,
        body: ApplicationBody,
      },
      config: review,
    },
    async (request) => {
      const before = await onboarding.require(request.params.applicationNo, EVERY_APPLICATION);
      const updated = await onboarding.update(
        request.params.applicationNo,
        request.body as ApplicationInput,
        EVERY_APPLICATION,
        sessionOf(request).user.id,
      );
      note(request, updated, auditView(before));
      return applicationView(updated);
    },
  );

  api.put(
    `${base}/:applicationNo/documents/:kind`,
    {
      schema: {
        tags,
        summary: 'Upload a document (JPEG, PNG or PDF, at most 5 MB, base64)',
        params: DocumentParams,
        body: DocumentBody,
      },
      bodyLimit: DOCUMENT_BODY_LIMIT,
      config: review,
    },
    async (request) => {
      const { applicationNo, kind } = request.params;
      const doc = await onboarding.uploadDocument(
        applicationNo,
        kind,
        documentBytes(request.body.content),
        EVERY_APPLICATION,
        sessionOf(request).user.id,
      );
      noteAudit(request, { targetType: 'onboarding_application', targetId: applicationNo, after: doc });
      return doc;
    },
  );

  api.get(
    `${base}/:applicationNo/documents/:kind`,
    { schema: { tags, summary: 'A document of an application', params: DocumentParams }, config: read },
    async (request, reply) => {
      const { applicationNo, kind } = request.params;
      return sendDocument(reply, kind, await onboarding.readDocument(applicationNo, kind, EVERY_APPLICATION));
    },
  );

  api.post(
    `${base}/:applicationNo/submit`,
    {
      schema: { tags, summary: 'Send the application to review', params: ApplicationNoParams },
      config: review,
    },
    async (request) => {
      const moved = await onboarding.submit(
        request.params.applicationNo,
        EVERY_APPLICATION,
        sessionOf(request).user.id,
      );
      note(request, moved);
      return applicationView(moved);
    },
  );

  api.post(
    `${base}/:applicationNo/request-changes`,
    {
      schema: {
        tags,
        summary: 'Ask the submitter to change the application (the note says what)',
        params: ApplicationNoParams,
        body: z.object({ note: text(500).min(1) }),
      },
      config: review,
    },
    async (request) => {
      const moved = await onboarding.requestChanges(
        request.params.applicationNo,
        request.body.note,
        sessionOf(request).user.id,
      );
      note(request, moved);
      return applicationView(moved);
    },
  );

  api.post(
    `${base}/:applicationNo/reject`,
    {
      schema: {
        tags,
        summary: 'Reject the application, with the reason',
        params: ApplicationNoParams,
        body: z.object({ reason: text(500).min(1) }),
      },
      config: review,
    },
    async (request) => {
      const moved = await onboarding.reject(
        request.params.applicationNo,
        request.body.reason,
        sessionOf(request).user.id,
      );
      note(request, moved);
      return applicationView(moved);
    },
  );

  api.post(
    `${base}/:applicationNo/approve`,
    {
      schema: {
        tags,
        summary:
          'Approve: refused on a blacklist hit or a rate-rule break; opens the merchant under the agent with its rates, card and (with `manager`) its first login',
        params: ApplicationNoParams,
        body: z.object({
          note: text(500).optional(),
          manager: z
            .object({
              username: z.string().min(3).max(64),
              password: z.string().min(1).max(256),
              email: z.email().max(128).or(z.literal('')).optional(),
            })
            .optional(),
        }),
      },
      config: review,
    },
    async (request) => {
      const { application, mchNo, managerUsername } = await onboarding.approve(
        request.params.applicationNo,
        sessionOf(request).user.id,
        request.body,
      );
      noteAudit(request, {
        targetType: 'onboarding_application',
        targetId: application.application_no,
        after: { ...auditView(application), manager: managerUsername },
      });
      return { ...applicationView(application), mchNo, managerUsername };
    },
  );

  // ---------- blacklist ----------

  const IdParams = z.object({ id: z.string().regex(/^\d{1,18}$/) });
  const noteBlacklist = (request: FastifyRequest, id: string, before?: unknown, after?: unknown) =>
    noteAudit(request, { targetType: 'blacklist_entry', targetId: id, before, after });

  api.get(
    '/api/admin/onboarding/blacklist',
    {
      schema: {
        tags,
        summary: 'Blacklist entries (masked)',
        querystring: z.object({ kind: z.enum(BLACKLIST_KINDS).optional(), ...Page }),
      },
      config: read,
    },
    async (request) => onboarding.listBlacklist(request.query),
  );

  api.post(
    '/api/admin/onboarding/blacklist',
    {
      schema: {
        tags,
        summary: 'Add a number to the blacklist (kept as a keyed hash and a masked form)',
        body: z.object({
          kind: z.enum(BLACKLIST_KINDS),
          value: z.string().min(1).max(64),
          note: text(500).default(''),
        }),
      },
      config: blacklist,
    },
    async (request, reply) => {
      const { kind, value, note: entryNote } = request.body;
      const entry = await onboarding.addBlacklistEntry(kind, value, entryNote, sessionOf(request).user.id);
      noteBlacklist(request, entry.id, undefined, entry);
      return reply.code(201).send(entry);
    },
  );

  api.patch(
    '/api/admin/onboarding/blacklist/:id',
    {
      schema: {
        tags,
        summary: 'Change the note of an entry',
        params: IdParams,
        body: z.object({ note: text(500) }),
      },
      config: blacklist,
    },
    async (request) => {
      const id = BigInt(request.params.id);
      const before = await onboarding.requireBlacklistEntry(id);
      const after = await onboarding.updateBlacklistEntry(id, request.body.note);
      noteBlacklist(request, after.id, before, after);
      return after;
    },
  );

  api.delete(
    '/api/admin/onboarding/blacklist/:id',
    { schema: { tags, summary: 'Remove an entry', params: IdParams }, config: blacklist },
    async (request) => {
      const removed = await onboarding.removeBlacklistEntry(BigInt(request.params.id));
      noteBlacklist(request, removed.id, removed, undefined);
      return removed;
    },
  );
}
