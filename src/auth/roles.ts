import type { Db } from '../db/index.ts';
import { AppError } from '../errors.ts';
import { ALL_PERMISSIONS, isPermission } from './permissions.ts';
import * as queries from './queries.ts';

export interface RoleView {
  id: string;
  code: string;
  name: string;
  permissions: string[];
  builtin: boolean;
  userCount: number;
}

export const SUPER_ADMIN = 'super_admin';

/** Who is changing operators and roles: its own permissions and role bound what it may hand out. */
export interface RoleActor {
  permissions: string[];
  roleId: bigint | null;
}

const isSuperAdmin = (actor: RoleActor) => actor.permissions.includes(ALL_PERMISSIONS);

/**
 * `operator.write` must not be a way to more power: an operator may give a role, or act on an
 * account (reset its password or TOTP, disable it, change its role), only when that role's
 * permissions are all its own. So only a super admin manages super admins.
 */
export function assertMayManage(actor: RoleActor, role: { permissions: string[] }): void {
  if (isSuperAdmin(actor)) return;
  const beyond = role.permissions.filter((p) => !actor.permissions.includes(p) || p === ALL_PERMISSIONS);
  if (beyond.length > 0) {
    throw new AppError('FORBIDDEN', `that role has permissions you lack: ${beyond.join(', ')}`);
  }
}

/** A role may hold only permissions its editor holds. */
function assertMayGrant(actor: RoleActor, permissions: string[]): void {
  if (isSuperAdmin(actor)) return;
  const beyond = permissions.filter((p) => !actor.permissions.includes(p));
  if (beyond.length > 0)
    throw new AppError('FORBIDDEN', `you cannot grant permissions you lack: ${beyond.join(', ')}`);
}

/** Operator roles: sets of permissions an admin edits. The super admin role is fixed. */
export class RoleService {
  constructor(private readonly db: Db) {}

  async list(): Promise<RoleView[]> {
    return (await queries.listRoles(this.db)).map(roleView);
  }

  async require(by: { id?: bigint; code?: string }): Promise<RoleView> {
    const row = await queries.findRole(this.db, by);
    if (!row) throw new AppError('NOT_FOUND', 'no such role');
    return roleView(row);
  }

  async create(
    input: { code: string; name: string; permissions: string[] },
    actor: RoleActor,
  ): Promise<RoleView> {
    const permissions = checkPermissions(input.permissions);
    assertMayGrant(actor, permissions);
    const id = await queries.insertRole(this.db, { ...input, permissions });
    if (id === null)
      throw new AppError('ALREADY_EXISTS', `role ${input.code} exists`, { kind: 'role', name: input.code });
    return this.require({ id });
  }

  async update(
    id: bigint,
    input: { name?: string; permissions?: string[] },
    actor: RoleActor,
  ): Promise<RoleView> {
    const role = await this.require({ id });
    if (role.code === SUPER_ADMIN) throw new AppError('FORBIDDEN', 'the super admin role cannot be changed');
    if (actor.roleId === id) throw new AppError('FORBIDDEN', 'you cannot change your own role');
    if (input.permissions) assertMayGrant(actor, input.permissions);
    await queries.updateRole(this.db, id, {
      name: input.name,
      permissions: input.permissions && checkPermissions(input.permissions),
    });
    return this.require({ id });
  }

  async remove(id: bigint): Promise<void> {
    const role = await this.require({ id });
    if (role.builtin) throw new AppError('FORBIDDEN', 'built-in roles cannot be deleted');
    if (role.userCount > 0)
      throw new AppError('ROLE_IN_USE', `${role.userCount} operators still have this role`);
    await queries.deleteRole(this.db, id);
  }
}

function checkPermissions(permissions: string[]): string[] {
  const unknown = permissions.filter((p) => p !== ALL_PERMISSIONS && !isPermission(p));
  if (unknown.length > 0)
    throw new AppError('INVALID_REQUEST', `permissions: unknown ${unknown.join(', ')}`, {
      field: 'permissions',
    });
  if (permissions.includes(ALL_PERMISSIONS)) {
    throw new AppError('INVALID_REQUEST', 'permissions: only the super admin role has every permission', {
      field: 'permissions',
    });
  }
  return [...new Set(permissions)].sort();
}

function roleView(row: queries.RoleRow): RoleView {
  return {
    id: String(row.id),
    code: row.code,
    name: row.name,
    permissions: row.permissions,
    builtin: row.builtin,
    userCount: Number(row.user_count),
  };
}
