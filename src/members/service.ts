import { createHash } from 'node:crypto';
import type { SecretBox, SecretPlace } from '../auth/secret-box.ts';
import type { Db, Queryable } from '../db/index.ts';
import { AppError } from '../errors.ts';
import * as ledgerQueries from '../ledger/queries.ts';
import type { LedgerService } from '../ledger/service.ts';
import type { AccountRef } from '../ledger/types.ts';
import { toJsonAmount } from '../money/money.ts';
import type { NotificationService } from '../notifications/service.ts';
import { addDays, startOfLocalDay } from '../stats/time.ts';
import type { BankCardRow, BankCardService, CardType } from '../withdrawals/cards.ts';
import { memberOwner } from '../withdrawals/owner.ts';
import type { WithdrawalService } from '../withdrawals/service.ts';
import { MEMBER_AGREEMENT_KIND, MEMBER_AGREEMENT_VERSION, type SignedVia } from './agreement.ts';
import { MemberAutoWithdrawals } from './auto-withdrawals.ts';
import { MemberNotices } from './notices.ts';
import type { MemberRow, MemberState, MemberType, TransferRow } from './queries.ts';
import * as queries from './queries.ts';
import type { IdentityVerifier } from './verifier.ts';

const CURRENCY = 'CNY';
/** The member-owned ledger account kinds, and the words the views use for them. */
export const MEMBER_ACCOUNT_KINDS = ['member_pending', 'member_available', 'member_frozen'] as const;
/** The most members, entries or transfers one page holds. */
export const MAX_PAGE = 100;
/** The longest date range of one entries or end-of-day balances query. */
export const MAX_RANGE_DAYS = 92;
/** The most rows one entries export holds (MON-9). */
export const MAX_EXPORT_ROWS = 10_000;

export interface NewMemberInput {
  bizUserId: string;
  type: MemberType;
  name: string;
  phone?: string;
  idNo?: string;
  legalPersonName?: string;
}

/** Where the app's side of a request comes from: its merchant and its row id (merchant_app.id). */
export interface AppScope {
  merchantId: bigint;
  appDbId: bigint;
}

export interface Balances {
  pending: bigint;
  available: bigint;
  frozen: bigint;
}

export interface MemberServiceOptions {
  timeZone: string;
  /**
   * The embedded demo has no SMS provider: a message to a member is written here instead, as the
   * first-login codes are (src/members/portal-auth.ts).
   */
  logsInstead?: (message: string) => void;
  log?: { warn(obj: object, msg: string): void };
}

/** The states a merchant may ask for, and the states each is reached from. */
const TRANSITIONS: Record<'active' | 'frozen' | 'closed', readonly MemberState[]> = {
  active: ['verified', 'frozen'],
  frozen: ['active'],
  closed: ['created', 'verified', 'active', 'frozen'],
};

const idNoPlace = (id: bigint): SecretPlace => ({ table: 'member', id, column: 'id_no_enc' });

/**
 * Marketplace members (MON-9): the buyers and sellers of a merchant's app, with their real-name
 * check, agreements, balances (待结算户 pending, 簿记账户 available, frozen), entries, transfers
 * between members and withdrawals to their own cards. Other domains (splits, escrow, the member
 * portal) find members only through this service.
 */
export class MemberService {
  /** The daily automatic withdrawals of members who chose them (the worker's job). */
  readonly autoWithdrawals: MemberAutoWithdrawals;
  /** Messages to members that other domains ask for (a split agreement to sign). */
  readonly notices: MemberNotices;

  constructor(
    private readonly db: Db,
    private readonly deps: {
      secrets: SecretBox;
      ledger: LedgerService;
      withdrawals: WithdrawalService;
      verifier: IdentityVerifier;
      notifications: NotificationService;
    },
    private readonly options: MemberServiceOptions,
  ) {
    // A member that is not active withdraws nothing; checked under the member's row lock.
    deps.withdrawals.attachOwnerGate('member', (q, id) => this.requireActive(q, id));
    this.autoWithdrawals = new MemberAutoWithdrawals(db, deps, options);
    this.notices = new MemberNotices(deps.notifications, options);
  }

  get timeZone(): string {
    return this.options.timeZone;
  }

  get verifier(): IdentityVerifier {
    return this.deps.verifier;
  }

  private get cards(): BankCardService {
    return this.deps.withdrawals.cards;
  }

  /** A merchant's transfers between members per local day (the dashboard's marketplace figures). */
  transfersByDay(f: { merchantId: bigint; from: Date; to: Date }) {
    return queries.transfersByDay(this.db, { ...f, timeZone: this.timeZone });
  }

  // ---------- look-ups ----------

  /** A member of the app by the merchant's own user id, or MEMBER_NOT_FOUND. */
  async requireByBizUserId(appId: bigint, bizUserId: string): Promise<MemberRow> {
    const member = await queries.selectByBizUserId(this.db, appId, bizUserId);
    if (!member)
      throw new AppError('MEMBER_NOT_FOUND', `no member ${bizUserId} in this app`, { field: 'bizUserId' });
    return member;
  }

  /** A member who may receive money: not frozen or closed (MEMBER_STATE otherwise). */
  async requireReceivingMember(appId: bigint, bizUserId: string): Promise<MemberRow> {
    const member = await this.requireByBizUserId(appId, bizUserId);
    if (member.state === 'frozen' || member.state === 'closed') {
      throw new AppError('MEMBER_STATE', `member ${bizUserId} is ${member.state}`, { field: 'bizUserId' });
    }
    return member;
  }

  /** A member of the merchant by its member number (the portals), or MEMBER_NOT_FOUND. */
  async requireForMerchant(merchantId: bigint, memberNo: string): Promise<MemberRow> {
    const member = await queries.selectByMemberNo(this.db, merchantId, memberNo);
    if (!member) throw new AppError('MEMBER_NOT_FOUND', `no member ${memberNo}`);
    return member;
  }

  async byIds(ids: bigint[]): Promise<Map<bigint, MemberRow>> {
    return new Map((await queries.selectByIds(this.db, ids)).map((m) => [m.id, m]));
  }

  /** A merchant's members, newest first, a keyset page at a time. */
  async list(f: Omit<queries.MemberFilter, 'limit'> & { limit?: number }) {
    const limit = Math.min(f.limit ?? 20, MAX_PAGE);
    const rows = await queries.listMembers(this.db, { ...f, limit: limit + 1 });
    const items = rows.slice(0, limit);
    return { items, nextCursor: rows.length > limit ? items.at(-1)!.id.toString() : null };
  }

  // ---------- create ----------

  /**
   * Opens a member of the app, with its service agreement signed the way it came (`via`). Idempotent
   * on bizUserId: the same data again answers the same member (`created` false), different data
   * MEMBER_EXISTS.
   */
  async create(
    app: AppScope,
    input: NewMemberInput,
    origin: { source: MemberRow['source']; via: SignedVia },
  ): Promise<{ member: MemberRow; created: boolean }> {
    const clean = checkNewMember(input);
    const existing = await queries.selectByBizUserId(this.db, app.appDbId, clean.bizUserId);
    if (existing) return { member: this.assertSame(existing, clean), created: false };
    const id = await queries.nextMemberId(this.db);
    const member = await this.db.tx(async (q) => {
      const row = await queries.insertMember(q, {
        id,
        merchantId: app.merchantId,
        appId: app.appDbId,
        bizUserId: clean.bizUserId,
        type: clean.type,
        name: clean.name,
        phone: clean.phone ?? null,
        idNoEnc: clean.idNo ? this.deps.secrets.encrypt(clean.idNo, idNoPlace(id)) : null,
        idNoLast4: clean.idNo ? clean.idNo.slice(-4) : null,
        legalPersonName: clean.legalPersonName ?? null,
        source: origin.source,
      });
      if (row) {
        await queries.insertAgreement(q, {
          memberId: row.id,
          kind: MEMBER_AGREEMENT_KIND,
          version: MEMBER_AGREEMENT_VERSION,
          signedVia: origin.via,
        });
      }
      return row;
    });
    if (!member) {
      // A racing create of the same bizUserId won.
      const winner = (await queries.selectByBizUserId(this.db, app.appDbId, clean.bizUserId))!;
      return { member: this.assertSame(winner, clean), created: false };
    }
    await this.deps.ledger.openAccounts(this.accounts(member.id));
    return { member, created: true };
  }

  private assertSame(existing: MemberRow, input: NewMemberInput): MemberRow {
    const same =
      existing.type === input.type &&
      existing.name === input.name &&
      existing.phone === (input.phone ?? null) &&
      existing.legal_person_name === (input.legalPersonName ?? null) &&
      (this.idNoOf(existing) ?? null) === (input.idNo ?? null);
    if (!same) {
      throw new AppError('MEMBER_EXISTS', `member ${existing.biz_user_id} exists with other data`, {
        field: 'bizUserId',
        memberNo: existing.member_no,
      });
    }
    return existing;
  }

  /** The member's ID number, opened for a check; never shown or logged. */
  private idNoOf(member: MemberRow): string | null {
    return member.id_no_enc ? this.deps.secrets.decrypt(member.id_no_enc, idNoPlace(member.id)) : null;
  }

  /**
   * Tells a member opened on its behalf that it is a member now (and signed the agreement), by SMS
   * when an SMS provider is set up and the member has a phone; nothing otherwise.
   */
  async tellOpened(member: MemberRow, merchantName: string): Promise<void> {
    if (!member.phone || !(await this.deps.notifications.canSend('sms'))) return;
    await this.deps.notifications.send({
      event: 'member.opened',
      recipient: { channel: 'sms', address: member.phone, locale: 'zh' },
      vars: { merchant: merchantName, member: member.name, memberNo: member.member_no },
    });
  }

  // ---------- state ----------

  /**
   * A merchant's change of state: active (from verified, or back from frozen), frozen (from active),
   * closed (from any but closed, and only with every balance at zero). MEMBER_STATE otherwise.
   */
  async setState(member: MemberRow, to: 'active' | 'frozen' | 'closed'): Promise<MemberRow> {
    const accounts = this.accounts(member.id);
    await this.deps.ledger.openAccounts(accounts);
    return this.db.tx(async (q) => {
      const now = await queries.lockMember(q, member.id);
      if (now.state === to) return now;
      if (!TRANSITIONS[to].includes(now.state)) {
        throw new AppError(
          'MEMBER_STATE',
          `member ${now.member_no} is ${now.state} and cannot become ${to}`,
          {
            state: now.state,
          },
        );
      }
      if (to === 'closed') {
        const held = await this.deps.ledger.lockBalances(q, accounts);
        if ([...held.values()].some((b) => b !== 0n)) {
          throw new AppError(
            'MEMBER_STATE',
            `member ${now.member_no} still holds money and cannot be closed`,
            {
              state: now.state,
              reason: 'balance_not_zero',
            },
          );
        }
      }
      return (await queries.transition(q, member.id, TRANSITIONS[to], to))!;
    });
  }

  /** The withdrawal gate: only an active member pays out. */
  private async requireActive(q: Queryable, memberId: bigint): Promise<void> {
    const state = await queries.stateOf(q, memberId);
    if (state !== 'active') {
      throw new AppError('MEMBER_STATE', `the member is ${state ?? 'gone'} and cannot withdraw`, {
        state: state ?? null,
      });
    }
  }

  /** Money may leave (transfer out) only an active member. */
  private requireCanPay(member: MemberRow, field: string): void {
    if (member.state !== 'active') {
      throw new AppError('MEMBER_STATE', `member ${member.biz_user_id} is ${member.state}`, { field });
    }
  }

  // ---------- real-name verification ----------

  /**
   * Checks the member's name and ID number with the verifier now; a pass moves a created member to
   * verified (a verified or later member stays where it is), a failure is MEMBER_VERIFY_FAILED.
   */
  async verify(member: MemberRow): Promise<MemberRow> {
    const idNo = this.idNoOf(member);
    if (!idNo) {
      throw new AppError('MEMBER_VERIFY_FAILED', 'the member has no ID number to verify', {
        reason: 'no_id_no',
      });
    }
    if (member.state === 'closed') throw new AppError('MEMBER_STATE', `member ${member.member_no} is closed`);
    const verdict = await this.deps.verifier.verifyIdentity(member.name, idNo);
    if (!verdict.ok) {
      throw new AppError('MEMBER_VERIFY_FAILED', verdict.reason ?? 'the real-name check failed', {
        reason: verdict.reason,
      });
    }
    const moved = await queries.transition(this.db, member.id, ['created'], 'verified');
    return moved ?? (await queries.selectByIds(this.db, [member.id]))[0]!;
  }

  // ---------- agreements ----------

  agreements(member: MemberRow) {
    return queries.agreementsOf(this.db, member.id);
  }

  async requireAgreement(member: MemberRow, id: bigint): Promise<queries.AgreementRow> {
    const row = await queries.agreementOf(this.db, member.id, id);
    if (!row) throw new AppError('NOT_FOUND', `agreement ${id} not found`);
    return row;
  }

  /** Records that the member signed the current agreement (again: the first signature stays). */
  async sign(member: MemberRow, via: SignedVia): Promise<void> {
    await queries.insertAgreement(this.db, {
      memberId: member.id,
      kind: MEMBER_AGREEMENT_KIND,
      version: MEMBER_AGREEMENT_VERSION,
      signedVia: via,
    });
  }

  // ---------- bank cards ----------

  cardsOf(member: MemberRow): Promise<BankCardRow[]> {
    return this.cards.list(memberOwner(member.id));
  }

  /**
   * Binds a card in the member's name after the verifier checked its four elements (the member's
   * name and ID number, the card number, the phone the bank has): a personal member's card is
   * personal, an enterprise's corporate. MEMBER_VERIFY_FAILED when they do not match.
   */
  async bindCard(
    member: MemberRow,
    input: { accountNo: string; bankName: string; bankBranch?: string; phone: string },
  ): Promise<BankCardRow> {
    if (member.state === 'frozen' || member.state === 'closed') {
      throw new AppError('MEMBER_STATE', `member ${member.member_no} is ${member.state}`);
    }
    const idNo = this.idNoOf(member);
    if (!idNo) {
      throw new AppError('MEMBER_VERIFY_FAILED', 'the member has no ID number to check the card with', {
        reason: 'no_id_no',
      });
    }
    const accountNo = input.accountNo.replace(/\s+/g, '');
    const verdict = await this.deps.verifier.verifyBankCard(member.name, idNo, accountNo, input.phone);
    if (!verdict.ok) {
      throw new AppError('MEMBER_VERIFY_FAILED', verdict.reason ?? 'the bank card check failed', {
        reason: verdict.reason,
        field: 'accountNo',
      });
    }
    const cardType: CardType = member.type === 'enterprise' ? 'corporate' : 'personal';
    return this.cards.bind(
      memberOwner(member.id),
      {
        holderName: member.name,
        accountNo,
        bankName: input.bankName,
        bankBranch: input.bankBranch,
        cardType,
      },
      { review: false, userId: null },
    );
  }

  removeCard(member: MemberRow, cardId: bigint): Promise<BankCardRow> {
    return this.cards.remove(memberOwner(member.id), cardId);
  }

  // ---------- balances and entries ----------

  accounts(memberId: bigint): AccountRef[] {
    return MEMBER_ACCOUNT_KINDS.map((kind) => ({ kind, ownerId: memberId, currency: CURRENCY }));
  }

  async balances(memberId: bigint): Promise<Balances> {
    const rows = await ledgerQueries.ownerBalances(this.db, memberId, MEMBER_ACCOUNT_KINDS);
    const of = (kind: string) => rows.find((r) => r.kind === kind && r.currency === CURRENCY)?.balance ?? 0n;
    return { pending: of('member_pending'), available: of('member_available'), frozen: of('member_frozen') };
  }

  /** The entries filter of a member over local days [from, to] (both included). */
  entryFilter(memberId: bigint, range: { from?: string; to?: string }): ledgerQueries.EntryFilter {
    const { from, to } = this.window(range);
    return { merchantId: memberId, kinds: MEMBER_ACCOUNT_KINDS, from, to };
  }

  /** The member's entries in the range, newest first, a keyset page (cursor: the last entry id seen). */
  async entries(memberId: bigint, range: { from?: string; to?: string }, cursor: bigint | null, limit = 50) {
    const size = Math.min(limit, MAX_PAGE);
    const rows = await ledgerQueries.entriesBefore(
      this.db,
      this.entryFilter(memberId, range),
      cursor,
      size + 1,
    );
    const items = rows.slice(0, size);
    return { items, nextCursor: rows.length > size ? items.at(-1)!.id.toString() : null };
  }

  /** The end-of-day balances (期末余额) of each local day in [from, to], newest first. */
  async dailyBalances(memberId: bigint, range: { from: string; to: string }) {
    this.window(range);
    const days: string[] = [];
    for (let day = range.from; day <= range.to; day = addDays(day, 1)) days.push(day);
    const ends = days.map((d) => startOfLocalDay(addDays(d, 1), this.timeZone));
    const rows = await ledgerQueries.ownerDailyBalances(this.db, memberId, MEMBER_ACCOUNT_KINDS, days, ends);
    return days.reverse().map((day) => {
      const of = (kind: string) => rows.find((r) => r.day === day && r.kind === kind)?.balance ?? 0n;
      return {
        day,
        pending: of('member_pending'),
        available: of('member_available'),
        frozen: of('member_frozen'),
      };
    });
  }

  /** Local days [from, to] as instants [from's start, the start of the day after to); at most MAX_RANGE_DAYS. */
  private window(range: { from?: string; to?: string }): { from?: Date; to?: Date } {
    if (range.from && range.to) {
      if (range.from > range.to) throw new AppError('INVALID_REQUEST', 'from is after to', { field: 'from' });
      if (addDays(range.from, MAX_RANGE_DAYS - 1) < range.to) {
        throw new AppError('INVALID_REQUEST', `a range of at most ${MAX_RANGE_DAYS} days`, { field: 'to' });
      }
    }
    return {
      from: range.from ? startOfLocalDay(range.from, this.timeZone) : undefined,
      to: range.to ? startOfLocalDay(addDays(range.to, 1), this.timeZone) : undefined,
    };
  }

  // ---------- transfers ----------

  /**
   * Moves money between two members of one app: member_available(from) → member_available(to), one
   * posting in the transaction that records the transfer. Idempotent on (app, transferNo): a
   * same-body retry answers the same transfer (`created` false) and posts nothing; a changed body is
   * IDEMPOTENCY_CONFLICT. Not enough available money is INSUFFICIENT_BALANCE and records nothing.
   */
  async transfer(
    app: AppScope,
    input: {
      transferNo: string;
      fromBizUserId: string;
      toBizUserId: string;
      amount: bigint;
      remark?: string;
    },
  ): Promise<{ transfer: TransferRow; created: boolean }> {
    const requestHash = hashTransfer(input);
    const existing = await queries.transferByMchNo(this.db, app.appDbId, input.transferNo);
    if (existing) return { transfer: assertSameTransfer(existing, requestHash), created: false };
    if (input.amount <= 0n)
      throw new AppError('INVALID_REQUEST', 'amount must be greater than zero', { field: 'amount' });
    if (input.fromBizUserId === input.toBizUserId) {
      throw new AppError('INVALID_REQUEST', 'a transfer needs two different members', {
        field: 'toBizUserId',
      });
    }
    const from = await this.requireByBizUserId(app.appDbId, input.fromBizUserId);
    this.requireCanPay(from, 'fromBizUserId');
    const to = await this.requireReceivingMember(app.appDbId, input.toBizUserId).catch((error: unknown) => {
      if (error instanceof AppError && error.code === 'MEMBER_NOT_FOUND')
        throw new AppError('MEMBER_NOT_FOUND', error.message, { field: 'toBizUserId' });
      throw error;
    });
    const [fromAvailable, toAvailable] = [from, to].map(
      (m): AccountRef => ({ kind: 'member_available', ownerId: m.id, currency: CURRENCY }),
    ) as [AccountRef, AccountRef];
    await this.deps.ledger.openAccounts([fromAvailable, toAvailable]);
    const row = await this.db.tx(async (q) => {
      const inserted = await queries.insertTransfer(q, {
        merchantId: app.merchantId,
        appId: app.appDbId,
        mchTransferNo: input.transferNo,
        requestHash,
        fromMemberId: from.id,
        toMemberId: to.id,
        amount: input.amount,
        currency: CURRENCY,
        remark: input.remark ?? null,
      });
      if (!inserted) return undefined;
      // The guarded balance refuses an overdraft (INSUFFICIENT_BALANCE) and the whole transaction rolls back.
      await this.deps.ledger.post(q, {
        kind: 'member_transfer',
        reference: inserted.transfer_no,
        idempotencyKey: `member_transfer:${app.appDbId}:${input.transferNo}`,
        legs: [
          { account: fromAvailable, amount: -input.amount },
          { account: toAvailable, amount: input.amount },
        ],
      });
      return inserted;
    });
    if (!row) {
      const winner = (await queries.transferByMchNo(this.db, app.appDbId, input.transferNo))!;
      return { transfer: assertSameTransfer(winner, requestHash), created: false };
    }
    return { transfer: row, created: true };
  }

  async transfers(f: { merchantId: bigint; memberId?: bigint; cursor: bigint | null; limit?: number }) {
    const limit = Math.min(f.limit ?? 20, MAX_PAGE);
    const rows = await queries.listTransfers(this.db, {
      merchantId: f.merchantId,
      memberId: f.memberId,
      beforeId: f.cursor ?? undefined,
      limit: limit + 1,
    });
    const items = rows.slice(0, limit);
    const members = await this.byIds([...new Set(items.flatMap((t) => [t.from_member_id, t.to_member_id]))]);
    return { items, members, nextCursor: rows.length > limit ? items.at(-1)!.id.toString() : null };
  }

  // ---------- withdrawals ----------

  /** A withdrawal of the member's available balance to its card (only an active member: MEMBER_STATE). */
  withdraw(member: MemberRow, input: { mchWithdrawNo: string; amount: bigint; cardId?: bigint }) {
    return this.deps.withdrawals.create(memberOwner(member.id), input, {
      source: 'api',
      appId: null,
      userId: null,
    });
  }

  withdrawal(member: MemberRow, withdrawNo: string) {
    return this.deps.withdrawals.getForOwner(memberOwner(member.id), withdrawNo);
  }
}

const BIZ_USER_ID = /^[A-Za-z0-9_\-.@]{1,64}$/;
const PHONE = /^\+?\d{6,20}$/;
/** A resident ID number (18, the last may be X) or a unified social credit code (18 letters and digits). */
const ID_NO = /^[0-9A-Z]{15,18}$/;

function checkNewMember(input: NewMemberInput): NewMemberInput {
  const clean: NewMemberInput = {
    bizUserId: input.bizUserId.trim(),
    type: input.type,
    name: input.name.trim(),
    phone: input.phone?.trim() || undefined,
    idNo: input.idNo?.trim().toUpperCase() || undefined,
    legalPersonName: input.legalPersonName?.trim() || undefined,
  };
  if (!BIZ_USER_ID.test(clean.bizUserId)) {
    throw new AppError('INVALID_REQUEST', 'bizUserId: 1–64 letters, digits, _ - . @', { field: 'bizUserId' });
  }
  if (clean.name.length === 0 || clean.name.length > 100)
    throw new AppError('INVALID_REQUEST', 'name: 1–100 characters', { field: 'name' });
  if (clean.phone && !PHONE.test(clean.phone))
    throw new AppError('INVALID_REQUEST', 'phone: 6–20 digits', { field: 'phone' });
  if (clean.idNo && !ID_NO.test(clean.idNo))
    throw new AppError('INVALID_REQUEST', 'idNo: 15–18 digits or capital letters', { field: 'idNo' });
  if (clean.type === 'enterprise' && !clean.legalPersonName) {
    throw new AppError('INVALID_REQUEST', 'an enterprise member needs legalPersonName', {
      field: 'legalPersonName',
    });
  }
  if (clean.type === 'personal' && clean.legalPersonName) {
    throw new AppError('INVALID_REQUEST', 'legalPersonName is for enterprise members', {
      field: 'legalPersonName',
    });
  }
  return clean;
}

function hashTransfer(input: {
  transferNo: string;
  fromBizUserId: string;
  toBizUserId: string;
  amount: bigint;
  remark?: string;
}): string {
  return createHash('sha256')
    .update(
      JSON.stringify([
        input.transferNo,
        input.fromBizUserId,
        input.toBizUserId,
        input.amount.toString(),
        input.remark ?? null,
      ]),
    )
    .digest('hex');
}

function assertSameTransfer(t: TransferRow, requestHash: string): TransferRow {
  if (t.request_hash !== requestHash) {
    throw new AppError(
      'IDEMPOTENCY_CONFLICT',
      `transferNo ${t.mch_transfer_no} was already used with a different request`,
    );
  }
  return t;
}

// ---------- views ----------

/** `138****5678`: the first three and the last four digits. */
export function maskPhone(phone: string | null): string | null {
  if (!phone) return null;
  return phone.length <= 7 ? `${phone.slice(0, 1)}****` : `${phone.slice(0, 3)}****${phone.slice(-4)}`;
}

export function balancesView(b: Balances) {
  return {
    pending: toJsonAmount(b.pending),
    available: toJsonAmount(b.available),
    frozen: toJsonAmount(b.frozen),
  };
}

/** The member as the merchant API and the merchant portal show it: masked phone and ID number, never the sealed ones. */
export function memberView(m: MemberRow, balances?: Balances) {
  return {
    memberNo: m.member_no,
    bizUserId: m.biz_user_id,
    type: m.type,
    name: m.name,
    phoneMasked: maskPhone(m.phone),
    idNoMasked: m.id_no_last4 ? `**************${m.id_no_last4}` : null,
    legalPersonName: m.legal_person_name,
    state: m.state,
    source: m.source,
    realNameVerified: m.real_name_verified_at !== null,
    createdAt: m.created_at.toISOString(),
    ...(balances ? { balances: balancesView(balances) } : {}),
  };
}

/** An entry of a member's accounts: which account (pending, available, frozen), what moved it, and the balance after. */
export function memberEntryView(e: ledgerQueries.EntryRow) {
  return {
    id: e.id.toString(),
    at: e.at.toISOString(),
    account: e.account.replace(/^member_/, ''),
    type: e.type,
    reference: e.reference,
    amount: toJsonAmount(e.amount),
    balanceAfter: toJsonAmount(e.balance_after),
  };
}

export function transferView(t: TransferRow, members: Map<bigint, MemberRow>) {
  return {
    transferNo: t.transfer_no,
    mchTransferNo: t.mch_transfer_no,
    fromBizUserId: members.get(t.from_member_id)?.biz_user_id ?? null,
    fromMemberNo: members.get(t.from_member_id)?.member_no ?? null,
    toBizUserId: members.get(t.to_member_id)?.biz_user_id ?? null,
    toMemberNo: members.get(t.to_member_id)?.member_no ?? null,
    amount: toJsonAmount(t.amount),
    currency: t.currency,
    remark: t.remark,
    state: t.state,
    createdAt: t.created_at.toISOString(),
  };
}
