import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../app/services.ts';
import { noteAudit } from '../audit/service.ts';
import { AppError } from '../errors.ts';
import type { SessionPolicy } from '../settings/platform.ts';
import { type ConsoleSession, LoginRefused, type SessionResult, temporaryPassword } from './console-users.ts';
import {
  CSRF_HEADER,
  consoleSession,
  requireOperator,
  requireOwnOriginJson,
  SESSION_COOKIE,
  sessionOf,
} from './guards.ts';
import { limitGuess } from './guess-limit.ts';
import { PERMISSIONS } from './permissions.ts';
import type { ConsoleUserWithRole } from './queries.ts';
import { assertMayManage, type RoleActor } from './roles.ts';

const AreaSchema = z.enum(['operator', 'merchant', 'agent', 'member']);
const Username = z.string().min(1).max(64);
const Password = z.string().min(1).max(256);
const ALL_STAGES = ['totp', 'password_change', 'totp_enrol', 'active'] as const;

/** The session as the consoles see it (docs/console-api.md). */
export function sessionView(session: ConsoleSession, policy: SessionPolicy) {
  const u = session.user;
  return {
    stage: session.stage,
    csrfToken: session.csrfToken,
    idleTimeoutSeconds: policy.idleMinutes * 60,
    user: {
      id: String(u.id),
      area: u.area,
      username: u.username,
      displayName: u.displayName,
      email: u.email,
      totpEnabled: u.totpEnabled,
      permissions: u.permissions,
      role: u.role && { id: String(u.role.id), code: u.role.code, name: u.role.name },
      merchant: u.merchant,
      merchantRole: u.merchantRole,
    },
  };
}

/** Login, its stages, logout and password reset for every area (OP-1, OP-15, MP-1). */
export async function authRoutes(
  app: FastifyInstance,
  {
    services,
    secureCookies,
    publicUrl,
  }: { services: Services; secureCookies: boolean /** QY_PUBLIC_URL */; publicUrl?: string },
) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['console: auth'];
  const ownOriginJson = requireOwnOriginJson(publicUrl);
  const guesses = services.consoleUsers.guessesPerIp;

  const answer = async (reply: FastifyReply, result: SessionResult) => {
    const policy = await services.consoleUsers.sessionPolicy();
    if (result.token) {
      reply.setCookie(SESSION_COOKIE, result.token, {
        path: '/',
        httpOnly: true,
        sameSite: 'strict',
        secure: secureCookies,
        maxAge: policy.maxHours * 3_600,
      });
    }
    return sessionView(result.session, policy);
  };
  const anyStage =
    (stages: readonly string[] = ALL_STAGES) =>
    async (request: FastifyRequest) => {
      await consoleSession(services, request, null, stages);
    };

  api.post(
    '/api/auth/login',
    {
      schema: {
        tags,
        summary: 'Log in with a password; the answer says which step comes next',
        body: z.object({ area: AreaSchema, username: Username, password: Password }),
      },
      preValidation: ownOriginJson,
    },
    async (request, reply) => {
      const { area, username, password } = request.body;
      try {
        const result = await limitGuess(guesses, request, reply, () =>
          services.consoleUsers.login(area, username, password, request.ip),
        );
        await services.audit.record({
          actorArea: area,
          actorId: result.session.user.id,
          actorName: username,
          ip: request.ip,
          action: 'auth.login',
          targetType: 'user',
          targetId: String(result.session.user.id),
          status: 200,
          before: undefined,
          after: { stage: result.session.stage },
        });
        return answer(reply, result);
      } catch (error) {
        if (error instanceof AppError) {
          await services.audit.record({
            actorArea: area,
            actorId: null,
            actorName: username,
            ip: request.ip,
            action: 'auth.login_failed',
            targetType: 'user',
            targetId: error instanceof LoginRefused && error.userId !== null ? String(error.userId) : '',
            status: error.status,
            before: undefined,
            // The caller sees one answer; the log keeps why (unknown_user, disabled, locked, wrong_password).
            after: { code: error.code, ...(error instanceof LoginRefused ? { reason: error.reason } : {}) },
          });
        }
        throw error;
      }
    },
  );

  api.post(
    '/api/auth/totp',
    {
      schema: {
        tags,
        summary: 'Second step: a TOTP or recovery code',
        body: z.object({ code: z.string().min(6).max(32) }),
      },
      preValidation: anyStage(['totp']),
    },
    async (request, reply) =>
      answer(
        reply,
        await limitGuess(guesses, request, reply, () =>
          services.consoleUsers.verifyTotp(sessionOf(request), request.body.code),
        ),
      ),
  );

  api.post(
    '/api/auth/password',
    {
      schema: {
        tags,
        summary: 'Change the password (forced at first login, or any time)',
        body: z.object({ currentPassword: Password, newPassword: Password }),
      },
      preValidation: anyStage(['password_change', 'active']),
    },
    async (request, reply) =>
      answer(
        reply,
        await limitGuess(guesses, request, reply, () =>
          services.consoleUsers.changePassword(
            sessionOf(request),
            request.body.currentPassword,
            request.body.newPassword,
          ),
        ),
      ),
  );

  api.post(
    '/api/auth/totp/enrol/start',
    {
      schema: { tags, summary: 'Start TOTP enrolment: a secret and its QR code' },
      preValidation: anyStage(['totp_enrol', 'active']),
    },
    async (request) => services.consoleUsers.startTotpEnrolment(sessionOf(request)),
  );

  api.post(
    '/api/auth/totp/enrol/confirm',
    {
      schema: {
        tags,
        summary: 'Confirm TOTP enrolment with a first code',
        body: z.object({ code: z.string().min(6).max(8) }),
      },
      preValidation: anyStage(['totp_enrol', 'active']),
    },
    async (request, reply) => {
      const result = await limitGuess(guesses, request, reply, () =>
        services.consoleUsers.confirmTotpEnrolment(sessionOf(request), request.body.code),
      );
      return { recoveryCodes: result.recoveryCodes, session: await answer(reply, result) };
    },
  );

  api.post(
    '/api/auth/totp/disable',
    {
      schema: {
        tags,
        summary: 'Turn TOTP off (merchants and agents)',
        body: z.object({ password: Password }),
      },
      preValidation: anyStage(['active']),
    },
    async (request, reply) =>
      sessionView(
        await limitGuess(guesses, request, reply, () =>
          services.consoleUsers.disableTotp(sessionOf(request), request.body.password),
        ),
        await services.consoleUsers.sessionPolicy(),
      ),
  );

  api.get(
    '/api/auth/me',
    { schema: { tags, summary: 'The current session' }, preValidation: anyStage() },
    async (request) => sessionView(sessionOf(request), await services.consoleUsers.sessionPolicy()),
  );

  api.post(
    '/api/auth/logout',
    { schema: { tags, summary: 'Log out (with the session’s CSRF token)' }, preValidation: ownOriginJson },
    async (request, reply) => {
      const session = await services.consoleUsers.sessionOf(request.cookies[SESSION_COOKIE]);
      // A foreign page must not be able to end a session either.
      if (session && request.headers[CSRF_HEADER] !== session.csrfToken) {
        throw new AppError('CSRF_INVALID', 'missing or wrong X-CSRF-Token');
      }
      if (session) await services.consoleUsers.logout(session);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return { ok: true };
    },
  );

  api.post(
    '/api/auth/password-reset/request',
    {
      schema: {
        tags,
        summary: 'E-mail a password reset code (same answer whether or not the user exists)',
        body: z.object({ area: AreaSchema, username: Username }),
      },
      preValidation: ownOriginJson,
    },
    async (request, reply) => {
      // Every request counts against the address: each may send a mail.
      await limitGuess(
        guesses,
        request,
        reply,
        () => services.consoleUsers.requestPasswordReset(request.body.area, request.body.username),
        { countSuccess: true },
      );
      return { ok: true };
    },
  );

  api.post(
    '/api/auth/password-reset/confirm',
    {
      schema: {
        tags,
        summary: 'Set a new password with the e-mailed code',
        body: z.object({
          area: AreaSchema,
          username: Username,
          code: z.string().min(1).max(16),
          newPassword: Password,
        }),
      },
      preValidation: ownOriginJson,
    },
    async (request, reply) => {
      const { area, username, code, newPassword } = request.body;
      await limitGuess(guesses, request, reply, () =>
        services.consoleUsers.confirmPasswordReset(area, username, code, newPassword),
      );
      return { ok: true };
    },
  );
}

/** Operators and roles (OP-15), for operator admins. */
export async function operatorAdminRoutes(app: FastifyInstance, { services }: { services: Services }) {
  const api = app.withTypeProvider<ZodTypeProvider>();
  api.addHook('preValidation', requireOperator(services));
  const tags = ['operator: system'];
  const read = { permission: 'operator.read' } as const;
  const write = { permission: 'operator.write' } as const;
  const IdParams = z.object({ id: z.coerce.bigint().positive() });
  const RoleBody = z.object({
    name: z.string().min(1).max(64),
    permissions: z.array(z.string().max(64)).max(64),
  });

  api.get(
    '/api/admin/permissions',
    { schema: { tags, summary: 'Every permission' }, config: read },
    async () => PERMISSIONS.map((p) => ({ ...p })),
  );

  api.get('/api/admin/roles', { schema: { tags, summary: 'Roles' }, config: read }, async () =>
    services.roles.list(),
  );

  api.post(
    '/api/admin/roles',
    {
      schema: {
        tags,
        summary: 'Create a role',
        body: RoleBody.extend({ code: z.string().regex(/^[a-z][a-z0-9_]{1,31}$/) }),
      },
      config: write,
    },
    async (request, reply) => {
      const role = await services.roles.create(request.body, roleActor(request));
      noteAudit(request, { targetType: 'role', targetId: role.id, before: undefined, after: role });
      return reply.code(201).send(role);
    },
  );

  api.patch(
    '/api/admin/roles/:id',
    { schema: { tags, summary: 'Edit a role', params: IdParams, body: RoleBody.partial() }, config: write },
    async (request) => {
      const before = await services.roles.require({ id: request.params.id });
      const after = await services.roles.update(request.params.id, request.body, roleActor(request));
      noteAudit(request, { targetType: 'role', targetId: after.id, before: before, after: after });
      return after;
    },
  );

  api.delete(
    '/api/admin/roles/:id',
    { schema: { tags, summary: 'Delete a role no operator has', params: IdParams }, config: write },
    async (request) => {
      const before = await services.roles.require({ id: request.params.id });
      await services.roles.remove(request.params.id);
      noteAudit(request, { targetType: 'role', targetId: before.id, before: before, after: null });
      return { ok: true };
    },
  );

  api.get(
    '/api/admin/operators',
    {
      schema: {
        tags,
        summary: 'Operators',
        querystring: z.object({
          limit: z.coerce.number().int().min(1).max(200).default(50),
          offset: z.coerce.number().int().min(0).default(0),
        }),
      },
      config: read,
    },
    async (request) => {
      const { rows, total } = await services.consoleUsers.listUsers({ area: 'operator', ...request.query });
      return { items: rows.map(operatorView), total };
    },
  );

  api.post(
    '/api/admin/operators',
    {
      schema: {
        tags,
        summary: 'Create an operator (with a temporary password to change at first login)',
        body: z.object({
          username: Username,
          displayName: z.string().max(64).optional(),
          email: z.string().email().max(128).optional().or(z.literal('')),
          roleId: z.coerce.bigint().positive(),
          password: Password.optional(),
        }),
      },
      config: write,
    },
    async (request, reply) => {
      const role = await services.roles.require({ id: request.body.roleId });
      assertMayManage(roleActor(request), role);
      const password = request.body.password ?? temporaryPassword();
      const user = await services.consoleUsers.createUser({
        area: 'operator',
        username: request.body.username,
        password,
        displayName: request.body.displayName,
        email: request.body.email,
        roleId: BigInt(role.id),
        mustChangePassword: true,
        createdBy: sessionOf(request).user.id,
      });
      const view = operatorView((await services.consoleUsers.userRow(user.id))!);
      noteAudit(request, { targetType: 'operator', targetId: view.id, before: undefined, after: view });
      return reply
        .code(201)
        .send({ ...view, temporaryPassword: request.body.password ? undefined : password });
    },
  );

  api.patch(
    '/api/admin/operators/:id',
    {
      schema: {
        tags,
        summary: 'Edit, enable or disable an operator, or change its role',
        params: IdParams,
        body: z.object({
          displayName: z.string().max(64).optional(),
          email: z.string().email().max(128).optional().or(z.literal('')),
          /** Mobile number for reset codes by SMS: 11 digits (mainland) or +country and digits; '' removes it. */
          phone: z
            .string()
            .trim()
            .regex(/^(1\d{10}|\+\d{6,15})?$/, 'must be a mobile number')
            .optional(),
          roleId: z.coerce.bigint().positive().optional(),
          enabled: z.boolean().optional(),
        }),
      },
      config: write,
    },
    async (request) => {
      const before = await requireManageableOperator(services, request, request.params.id);
      const roleChanges =
        request.body.roleId !== undefined && String(request.body.roleId) !== before.role?.id;
      if (
        request.params.id === sessionOf(request).user.id &&
        (request.body.enabled === false || roleChanges)
      ) {
        throw new AppError('FORBIDDEN', 'you cannot disable yourself or change your own role');
      }
      if (request.body.roleId && roleChanges) {
        assertMayManage(roleActor(request), await services.roles.require({ id: request.body.roleId }));
      }
      await services.consoleUsers.updateUser(request.params.id, request.body);
      const after = await requireOperatorRow(services, request.params.id);
      noteAudit(request, { targetType: 'operator', targetId: after.id, before: before, after: after });
      return after;
    },
  );

  api.post(
    '/api/admin/operators/:id/reset-password',
    { schema: { tags, summary: 'Give an operator a temporary password', params: IdParams }, config: write },
    async (request) => {
      const target = await requireManageableOperator(services, request, request.params.id);
      noteAudit(request, {
        targetType: 'operator',
        targetId: target.id,
        before: undefined,
        after: { passwordReset: true },
      });
      return { temporaryPassword: await services.consoleUsers.resetPasswordByAdmin(request.params.id) };
    },
  );

  api.post(
    '/api/admin/operators/:id/reset-totp',
    {
      schema: {
        tags,
        summary: 'Remove an operator’s authenticator (re-enrol at next login)',
        params: IdParams,
      },
      config: write,
    },
    async (request) => {
      const target = await requireManageableOperator(services, request, request.params.id);
      await services.consoleUsers.resetTotpByAdmin(request.params.id);
      noteAudit(request, {
        targetType: 'operator',
        targetId: target.id,
        before: { totpEnabled: target.totpEnabled },
        after: { totpEnabled: false },
      });
      return { ok: true };
    },
  );

  api.post(
    '/api/admin/operators/:id/unlock',
    { schema: { tags, summary: 'Lift an operator’s lockout', params: IdParams }, config: write },
    async (request) => {
      const target = await requireManageableOperator(services, request, request.params.id);
      await services.consoleUsers.unlock(request.params.id);
      noteAudit(request, {
        targetType: 'operator',
        targetId: target.id,
        before: { lockedUntil: target.lockedUntil },
        after: { lockedUntil: null },
      });
      return requireOperatorRow(services, request.params.id);
    },
  );

  api.get(
    '/api/admin/audit',
    {
      schema: {
        tags,
        summary: 'The audit log of console mutations',
        querystring: z.object({
          actor: z.string().max(64).optional(),
          action: z.string().max(128).optional(),
          actionKey: z.string().max(64).optional(),
          outcome: z.enum(['succeeded', 'failed']).optional(),
          targetType: z.string().max(32).optional(),
          targetId: z.string().max(64).optional(),
          from: z.coerce.date().optional(),
          to: z.coerce.date().optional(),
          limit: z.coerce.number().int().min(1).max(200).default(50),
          offset: z.coerce.number().int().min(0).default(0),
        }),
      },
      config: { permission: 'audit.read' },
    },
    async (request) => services.audit.list(request.query),
  );

  api.get(
    '/api/admin/settings',
    { schema: { tags, summary: 'System settings' }, config: { permission: 'settings.write' } },
    async () => services.settings.summary(),
  );

  api.put(
    '/api/admin/settings/completion-password',
    {
      schema: { tags, summary: 'Set the manual-completion password', body: z.object({ password: Password }) },
      config: { permission: 'settings.write' },
    },
    async (request) => {
      const before = await services.settings.summary();
      await services.settings.setCompletionPassword(request.body.password);
      noteAudit(request, {
        targetType: 'setting',
        targetId: 'completion_password',
        before: before,
        after: { completionPasswordSet: true },
      });
      return services.settings.summary();
    },
  );
}

function roleActor(request: FastifyRequest): RoleActor {
  const user = sessionOf(request).user;
  return { permissions: user.permissions, roleId: user.role?.id ?? null };
}

/** An operator the caller may act on: one whose role grants nothing the caller lacks. */
async function requireManageableOperator(services: Services, request: FastifyRequest, id: bigint) {
  const target = await requireOperatorRow(services, id);
  if (target.role)
    assertMayManage(roleActor(request), await services.roles.require({ id: BigInt(target.role.id) }));
  return target;
}

async function requireOperatorRow(services: Services, id: bigint) {
  const row = await services.consoleUsers.userRow(id);
  if (row?.area !== 'operator') throw new AppError('NOT_FOUND', 'no such operator');
  return operatorView(row);
}

export function operatorView(row: ConsoleUserWithRole) {
  return {
    id: String(row.id),
    username: row.username,
    displayName: row.display_name,
    email: row.email,
    phone: row.phone,
    enabled: row.enabled,
    role: row.role_id === null ? null : { id: String(row.role_id), code: row.role_code, name: row.role_name },
    totpEnabled: row.totp_enabled,
    mustChangePassword: row.must_change_password,
    lockedUntil:
      row.locked_until && row.locked_until.getTime() > Date.now() ? row.locked_until.toISOString() : null,
    lastLoginAt: row.last_login_at?.toISOString() ?? null,
    createdAt: row.created_at.toISOString(),
  };
}
