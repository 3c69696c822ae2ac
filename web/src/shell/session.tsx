import { createContext, useContext } from 'react';

export type Area = 'operator' | 'merchant' | 'agent' | 'member';
/** Where a login stands: it is usable only when `active`; the other stages allow one step each. */
export type Stage = 'totp' | 'password_change' | 'totp_enrol' | 'active';

export interface SessionUser {
  id: string;
  area: Area;
  username: string;
  displayName: string;
  email: string;
  totpEnabled: boolean;
  /** Operators: the role's permissions (`*` for super admin). Merchants: derived from manager/cashier. */
  permissions: string[];
  role: { id: string; code: string; name: string } | null;
  merchant: { mchNo: string; name: string } | null;
  merchantRole: 'manager' | 'cashier' | null;
}

export interface Session {
  stage: Stage;
  csrfToken: string;
  user: SessionUser;
  idleTimeoutSeconds: number;
}

export interface SessionContextValue {
  session: Session | null;
  setSession: (session: Session | null) => void;
  logout: () => Promise<void>;
}

export const SessionContext = createContext<SessionContextValue>({
  session: null,
  setSession: () => {},
  logout: async () => {},
});

export function useSession(): SessionContextValue {
  return useContext(SessionContext);
}

/** The UI hides what the role cannot do; the server checks every request anyway. */
export function can(session: Session | null, permission: string): boolean {
  const granted = session?.user.permissions ?? [];
  return granted.includes('*') || granted.includes(permission);
}

/** `can` bound to the current session, for components that check several permissions. */
/** A screen may need several permissions (the test page reads merchants and the catalog too). */
export function useCan(): (permission: string | readonly string[]) => boolean {
  const { session } = useSession();
  return (permission) => [permission].flat().every((p) => can(session, p));
}

/** Where an area's console lives. */
export function areaHome(area: Area): string {
  return `/${area}`;
}
