import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../app/services.ts';
import { noteAudit } from '../audit/service.ts';
import { requireAgentUser, sessionOf } from '../auth/guards.ts';
import { AppError } from '../errors.ts';
import {
  ApplicationBody,
  ApplicationNoParams,
  auditView,
  auditWithoutNumbers,
  DOCUMENT_BODY_LIMIT,
  DocumentBody,
  DocumentParams,
  documentBytes,
  ListQuery,
  sendDocument,
} from './routes.ts';
import { type ApplicationInput, applicationView, type OnboardingScope } from './service.ts';

/**
 * The agent area's onboarding (商户进件, AG-5): an agent's applications for merchants under itself
 * or its subtree, their documents, and resubmission when changes are asked for. Every query is
 * scoped to the session's agent's subtree; anything outside it is the 404 of nothing.
 */
export async function onboardingAgentRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  // First, so that even a request the guard refuses is audited without its numbers.
  api.addHook('preValidation', auditWithoutNumbers);
  api.addHook('preValidation', requireAgentUser(services));
  const tags = ['agent area: onboarding'];
  const onboarding = services.onboarding;
  const base = '/api/agent/onboarding/applications';

  async function me(request: FastifyRequest): Promise<{ agentNo: string; scope: OnboardingScope }> {
    const agent = await services.agents.findAgentById(sessionOf(request).user.agentId!);
    if (agent?.state !== 'enabled') throw new AppError('FORBIDDEN', 'this agent is disabled');
    return { agentNo: agent.agent_no, scope: { rootId: agent.id } };
  }
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
      schema: {
        tags,
        summary: 'The applications of this agent’s subtree (numbers masked)',
        querystring: ListQuery,
      },
    },
    async (request) => {
      const { scope } = await me(request);
      const { state, q, limit, offset } = request.query;
      return onboarding.list(scope, {
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
        summary:
          'Open an application (a draft) for a merchant under this agent, or under `agentNo` of its subtree',
        body: ApplicationBody.extend({ agentNo: z.string().max(32).optional() }),
      },
    },
    async (request, reply) => {
      const { agentNo, scope } = await me(request);
      const { agentNo: under, ...input } = request.body;
      const created = await onboarding.create(
        input as ApplicationInput,
        under || agentNo,
        scope,
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
        summary: 'An application with its documents and the reviewer’s notes',
        params: ApplicationNoParams,
      },
    },
    async (request) => {
      const { scope } = await me(request);
      return onboarding.detail(request.params.applicationNo, scope, false);
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
    },
    async (request) => {
      const { scope } = await me(request);
      const before = await onboarding.require(request.params.applicationNo, scope);
      const updated = await onboarding.update(
        request.params.applicationNo,
        request.body as ApplicationInput,
        scope,
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
    },
    async (request) => {
      const { scope } = await me(request);
      const { applicationNo, kind } = request.params;
      const doc = await onboarding.uploadDocument(
        applicationNo,
        kind,
        documentBytes(request.body.content),
        scope,
        sessionOf(request).user.id,
      );
      noteAudit(request, { targetType: 'onboarding_application', targetId: applicationNo, after: doc });
      return doc;
    },
  );

  api.get(
    `${base}/:applicationNo/documents/:kind`,
    { schema: { tags, summary: 'A document of an application', params: DocumentParams } },
    async (request, reply) => {
      const { scope } = await me(request);
      const { applicationNo, kind } = request.params;
      return sendDocument(reply, kind, await onboarding.readDocument(applicationNo, kind, scope));
    },
  );

  api.post(
    `${base}/:applicationNo/submit`,
    {
      schema: {
        tags,
        summary: 'Send the application to review (again, after changes were asked for)',
        params: ApplicationNoParams,
      },
    },
    async (request) => {
      const { scope } = await me(request);
      const moved = await onboarding.submit(request.params.applicationNo, scope, sessionOf(request).user.id);
      note(request, moved);
      return applicationView(moved);
    },
  );
}
