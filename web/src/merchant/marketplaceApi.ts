import { api, qs } from '../api.ts';

// The merchant portal's marketplace routes (会员与分账): members, split rules and records, escrow
// payments. Every screen of the group reads and writes through this module only, so the shapes the
// screens rely on are in one place. Money is integer fen, rates integer ppm, times ISO 8601 strings;
// lists page forward by an opaque cursor (`{ items, nextCursor }`).

const BASE = '/api/merchant';

export type MemberType = 'personal' | 'enterprise';
export const MEMBER_TYPES: MemberType[] = ['personal', 'enterprise'];
export type MemberState = 'created' | 'verified' | 'active' | 'frozen' | 'closed';
export const MEMBER_STATES: MemberState[] = ['created', 'verified', 'active', 'frozen', 'closed'];
export type MemberSource = 'api' | 'portal' | 'self_service' | 'import';

export interface MemberBalances {
  pending: number;
  available: number;
  frozen: number;
}

export interface MemberView {
  memberNo: string;
  bizUserId: string;
  type: MemberType;
  name: string;
  phoneMasked: string | null;
  idNoMasked: string | null;
  legalPersonName: string | null;
  state: MemberState;
  source: MemberSource;
  realNameVerified: boolean;
  createdAt: string;
  balances?: MemberBalances;
}

export interface MemberCard {
  id: string;
  holderName: string;
  bankName: string;
  accountNoMasked: string;
  bankBranch: string | null;
  cardType: string;
  state: string;
  isDefault: boolean;
  createdAt: string;
  reviewReason: string | null;
}

export interface MemberAgreement {
  id: string;
  kind: string;
  version: string;
  signedVia: string;
  signedAt: string;
}

/** How a member withdraws, and its last day of automatic withdrawal (money in fen). */
export interface MemberWithdrawSetting {
  mode: 'manual' | 'auto' | 'platform';
  autoTime: string | null;
  lastAutoRun: {
    day: string;
    outcome: 'withdrawn' | 'skipped';
    reason: string | null;
    withdrawNo: string | null;
    amount: number | null;
  } | null;
}

export interface MemberDetail {
  member: MemberView;
  balances: MemberBalances;
  cards: MemberCard[];
  agreements: MemberAgreement[];
  withdrawSetting: MemberWithdrawSetting;
}

export type MemberAccount = 'pending' | 'available' | 'frozen';
export const MEMBER_ACCOUNTS: MemberAccount[] = ['pending', 'available', 'frozen'];

/** One posting on a member's account: what moved it (the ledger's entry type) and the balance after. */
export interface MemberEntry {
  id: string;
  at: string;
  account: MemberAccount;
  type: string;
  reference: string | null;
  amount: number;
  balanceAfter: number;
}

/** A member's balances at the end of one local day (期末余额). */
export interface MemberDailyBalance extends MemberBalances {
  day: string;
}

export interface NewMember {
  bizUserId: string;
  type: MemberType;
  name: string;
  phone?: string;
  idNo?: string;
  legalPersonName?: string;
  appId: string;
}

/** The states a manager moves a member to: freeze, unfreeze (back to active), close. */
export type MemberStateChange = 'frozen' | 'active' | 'closed';

/** One who gives or takes a share: the merchant itself, or one of its members. */
export type PartyRef = { kind: 'merchant' } | { kind: 'member'; memberNo: string };
export interface PartyView {
  kind: 'merchant' | 'member';
  memberNo?: string;
  memberName?: string;
}

export type SplitBasis = 'ppm' | 'fixed';

export interface SplitPartyView {
  id: string;
  party: PartyView;
  basis: SplitBasis;
  /** ppm of the amount (basis ppm) or fen (basis fixed). */
  value: number;
  floor: number | null;
  cap: number | null;
  agreementState: 'pending' | 'signed' | null;
  agreementSentAt: string | null;
  agreementSignedAt: string | null;
  agreementSignedVia: 'member_portal' | null;
}

export interface SplitRuleView {
  ruleNo: string;
  name: string;
  appId: string;
  receiver: { kind: 'payee' | 'member'; memberNo?: string; memberName?: string };
  parties: SplitPartyView[];
  state: 'enabled' | 'disabled';
  createdAt: string;
  updatedAt: string;
}

export interface SplitPartyInput {
  party: PartyRef;
  basis: SplitBasis;
  value: number;
  floor?: number;
  cap?: number;
}

export interface SplitRuleInput {
  name: string;
  appId: string;
  receiver: { kind: 'payee' } | { kind: 'member'; memberNo: string };
  parties: SplitPartyInput[];
}

/**
 * One end of a split: the merchant, a member (its number and name), or the merchant's escrow account
 * (what an escrow confirmation releases comes from there). The server names only members; the
 * merchant and escrow are shown by their kind.
 */
export interface SplitEnd {
  kind: 'merchant' | 'member' | 'escrow';
  memberNo?: string;
  name: string;
}

export interface SplitRecord {
  orderNo: string;
  kind: 'share' | 'commission';
  from: SplitEnd;
  to: SplitEnd;
  amount: number;
  /** What refunds took back of the amount. */
  refunded: number;
  state: string;
  createdAt: string;
}

export type EscrowState = 'holding' | 'partially_released' | 'released' | 'refunded';
export const ESCROW_STATES: EscrowState[] = ['holding', 'partially_released', 'released', 'refunded'];

/** Who confirmed: the signed API, the merchant portal, or the auto-confirm step when due. */
export type ConfirmationSource = 'api' | 'portal' | 'auto';

export interface EscrowConfirmation {
  confirmNo: string;
  amount: number;
  source: ConfirmationSource;
  at: string;
  splits: { kind: 'share' | 'commission'; to: SplitEnd; amount: number }[];
}

export interface EscrowView {
  orderNo: string;
  /** What the payment put into escrow: the order's amount less its fee. */
  amount: number;
  held: number;
  released: number;
  refunded: number;
  state: EscrowState;
  autoConfirmAt: string | null;
  confirmations: EscrowConfirmation[];
}

/** One page of a cursor list, and the cursor of the next (null: this is the last). */
export interface CursorPage<T> {
  items: T[];
  nextCursor: string | null;
}

export type ListFilters = Record<string, string | undefined>;

const member = (memberNo: string) => `${BASE}/members/${encodeURIComponent(memberNo)}`;
const rule = (ruleNo: string) => `${BASE}/split-rules/${encodeURIComponent(ruleNo)}`;

export const marketplaceApi = {
  members: (filters: ListFilters & { type: MemberType }, cursor?: string) =>
    api.get<CursorPage<MemberView>>(`${BASE}/members${qs({ ...filters, cursor })}`),
  createMember: (body: NewMember) => api.post<MemberView>(`${BASE}/members`, body),
  memberPath: (memberNo: string) => member(memberNo),
  setMemberState: (memberNo: string, state: MemberStateChange) =>
    api.post<MemberView>(`${member(memberNo)}/state`, { state }),
  memberEntries: (memberNo: string, filters: { from?: string; to?: string }, cursor?: string) =>
    api.get<CursorPage<MemberEntry>>(`${member(memberNo)}/entries${qs({ ...filters, cursor })}`),
  memberDailyBalances: (memberNo: string, range: { from: string; to: string }) =>
    api.get<{ items: MemberDailyBalance[] }>(`${member(memberNo)}/daily-balances${qs(range)}`),
  memberEntriesExportPath: (memberNo: string) => `${member(memberNo)}/entries/export`,
  agreementDocumentPath: (memberNo: string, agreementId: string) =>
    `${member(memberNo)}/agreements/${encodeURIComponent(agreementId)}/document`,

  splitRules: () => api.get<{ items: SplitRuleView[] }>(`${BASE}/split-rules`),
  createSplitRule: (body: SplitRuleInput) => api.post<SplitRuleView>(`${BASE}/split-rules`, body),
  updateSplitRule: (ruleNo: string, body: Omit<SplitRuleInput, 'receiver'>) =>
    api.put<SplitRuleView>(rule(ruleNo), body),
  setSplitRuleEnabled: (ruleNo: string, enabled: boolean) =>
    api.post<SplitRuleView>(`${rule(ruleNo)}/${enabled ? 'enable' : 'disable'}`),
  splitAgreementDocumentPath: (ruleNo: string, partyId: string) =>
    `${rule(ruleNo)}/parties/${encodeURIComponent(partyId)}/agreement-document`,
  resendAgreement: (ruleNo: string, partyId: string) =>
    api.post<unknown>(`${rule(ruleNo)}/parties/${encodeURIComponent(partyId)}/resend-agreement`),

  splitRecords: (
    filters: { view: 'out' | 'in'; memberNo?: string; from?: string; to?: string },
    cursor?: string,
  ) => api.get<CursorPage<SplitRecord>>(`${BASE}/split-records${qs({ ...filters, cursor })}`),

  escrows: (filters: { state?: string }, cursor?: string) =>
    api.get<CursorPage<EscrowView>>(`${BASE}/escrows${qs({ ...filters, cursor })}`),
  confirmEscrow: (orderNo: string, amount?: number) =>
    api.post<EscrowView>(
      `${BASE}/escrows/${encodeURIComponent(orderNo)}/confirm`,
      amount === undefined ? {} : { amount },
    ),
};
