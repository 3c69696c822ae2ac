import { useApi } from '../shell/useApi.ts';

/** GET /api/member/me: the member this login acts for; money in integer fen. */
export interface MemberMe {
  user: { username: string; totpEnabled: boolean };
  member: {
    memberNo: string;
    bizUserId: string;
    type: 'personal' | 'enterprise';
    name: string;
    phoneMasked: string;
    idNoMasked: string;
    state: 'created' | 'verified' | 'active' | 'frozen' | 'closed';
    createdAt: string;
  };
  merchantName: string;
  balances: { currency: string; pending: number; available: number; frozen: number };
  withdrawSetting: { mode: 'manual' | 'auto' | 'platform'; autoTime: string | null; cardId: string | null };
}

export function useMemberMe() {
  return useApi<MemberMe>('/api/member/me');
}
