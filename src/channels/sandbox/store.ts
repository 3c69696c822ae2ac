import type { SecretBox, SecretPlace } from '../../auth/secret-box.ts';
import type { Db } from '../../db/index.ts';
import {
  expireIfDue,
  MAX_PAYMENTS,
  type NewPayment,
  newPayment,
  nextTradeNo,
  PaymentBook,
  type SandboxPayment,
} from './payment-book.ts';
import { type NewPayout, newPayout, PayoutBook, type SandboxPayout } from './payout-book.ts';
import * as queries from './queries.ts';
import type { StatementSettings } from './statement.ts';

/** A notify the sandbox still has to deliver (or retry), and when. */
export type PendingNotify = queries.NotifyRow;

/**
 * Where the sandbox keeps its merchants, payments and undelivered notifies. The standalone
 * `qingyun sandbox` keeps them in memory (`MemorySandboxStore`: a restart forgets them all); the
 * sandbox mounted in the platform keeps them in its own tables of the platform's database
 * (`DbSandboxStore`), so it behaves like a real channel across restarts and crashes.
 */
export interface SandboxStore {
  /** True when what is stored survives a restart (pending notifies are picked up again). */
  readonly durable: boolean;
  /** Adds a merchant with its key; false when the mchId is taken. */
  addMerchant(mchId: string, key: string): Promise<boolean>;
  merchantKey(mchId: string): Promise<string | null>;
  /**
   * Opens a WAITING payment; when (mchId, outTradeNo) already has one (a concurrent create), that
   * one is returned with `created: false`.
   */
  openPayment(fields: NewPayment): Promise<{ payment: SandboxPayment; created: boolean }>;
  findByTradeNo(tradeNo: string, now?: Date): Promise<SandboxPayment | undefined>;
  findByMerchantOrder(mchId: string, outTradeNo: string, now?: Date): Promise<SandboxPayment | undefined>;
  /**
   * Saves a changed payment with the notifies announcing the change, in one transaction, only if
   * nobody saved it since it was read; false otherwise (read it again).
   */
  savePayment(payment: SandboxPayment, notifies: PendingNotify[]): Promise<boolean>;
  /** A notify attempt failed: the next one is `attempt`, due at `dueAt`. */
  notifyRetry(id: string, attempt: number, dueAt: Date): Promise<void>;
  /** A notify was acknowledged, or its retries ran out. */
  notifyDone(id: string): Promise<void>;
  /** Notifies left undelivered by an earlier process. */
  pendingNotifies(): Promise<PendingNotify[]>;
  /**
   * Takes a payout with the notifies announcing its outcome (`announce`), in one transaction; when
   * (mchId, outPayoutNo) already has one, that one is returned with `created: false` and no notifies.
   */
  openPayout(
    fields: NewPayout,
    now: Date,
    announce: (payout: SandboxPayout) => PendingNotify[],
  ): Promise<{ payout: SandboxPayout; created: boolean; notifies: PendingNotify[] }>;
  findPayout(mchId: string, outPayoutNo: string): Promise<SandboxPayout | undefined>;
  /** A merchant's payments with a payment or a refund booked within [from, to): its statement's lines. */
  paymentsBookedWithin(mchId: string, from: Date, to: Date): Promise<SandboxPayment[]>;
  /** How a merchant's statements are written (fee rate, injected faults); {} until set. */
  statementSettings(mchId: string): Promise<StatementSettings>;
  /** Sets them (tests and the sandbox's operator); false for an unknown merchant. */
  setStatementSettings(mchId: string, settings: StatementSettings): Promise<boolean>;
}

/** The standalone sandbox's store: everything in memory, bounded, forgotten on restart. */
export class MemorySandboxStore implements SandboxStore {
  readonly durable = false;
  private readonly keys = new Map<string, string>();
  private readonly book: PaymentBook;
  private readonly payouts: PayoutBook;

  constructor(maxPayments: number = MAX_PAYMENTS) {
    this.book = new PaymentBook(maxPayments);
    this.payouts = new PayoutBook(maxPayments);
  }

  async openPayout(fields: NewPayout, now: Date, announce: (payout: SandboxPayout) => PendingNotify[]) {
    const opened = this.payouts.open(fields, now);
    return { ...opened, notifies: opened.created ? announce(opened.payout) : [] };
  }

  async findPayout(mchId: string, outPayoutNo: string) {
    return this.payouts.find(mchId, outPayoutNo);
  }

  private readonly statements = new Map<string, StatementSettings>();

  async paymentsBookedWithin(mchId: string, from: Date, to: Date): Promise<SandboxPayment[]> {
    const within = (at: Date | null) => at !== null && at >= from && at < to;
    return [...this.book.payments()].filter(
      (p) => p.mchId === mchId && (within(p.paidAt) || p.refunds.some((r) => within(r.refundedAt))),
    );
  }

  async statementSettings(mchId: string): Promise<StatementSettings> {
    return this.statements.get(mchId) ?? {};
  }

  async setStatementSettings(mchId: string, settings: StatementSettings): Promise<boolean> {
    if (!this.keys.has(mchId)) return false;
    this.statements.set(mchId, settings);
    return true;
  }

  async addMerchant(mchId: string, key: string): Promise<boolean> {
    if (this.keys.has(mchId)) return false;
    this.keys.set(mchId, key);
    return true;
  }

  async merchantKey(mchId: string): Promise<string | null> {
    return this.keys.get(mchId) ?? null;
  }

  async openPayment(fields: NewPayment) {
    const existing = this.book.findByMerchantOrder(fields.mchId, fields.outTradeNo);
    if (existing) return { payment: existing, created: false };
    return { payment: this.book.open(fields), created: true };
  }

  async findByTradeNo(tradeNo: string, now: Date = new Date()) {
    return this.book.findByTradeNo(tradeNo, now);
  }

  async findByMerchantOrder(mchId: string, outTradeNo: string, now: Date = new Date()) {
    return this.book.findByMerchantOrder(mchId, outTradeNo, now);
  }

  // Payments in memory are changed in place, synchronously after they are read: nothing to save.
  async savePayment(): Promise<boolean> {
    return true;
  }

  async notifyRetry(): Promise<void> {}

  async notifyDone(): Promise<void> {}

  async pendingNotifies(): Promise<PendingNotify[]> {
    return [];
  }
}

/** Tries at opening a payment before giving up on trade-number collisions with another node. */
const OPEN_ATTEMPTS = 5;

/** Where a sandbox merchant's key is sealed: bound to its row, like the platform's own secrets. */
const merchantKeyPlace = (mchId: string): SecretPlace => ({
  table: 'sandbox_merchant',
  id: mchId,
  column: 'key_enc',
});

/** The in-process sandbox's store: its own tables, merchant keys sealed under the master key. */
export class DbSandboxStore implements SandboxStore {
  readonly durable = true;
  /** Keys never change once issued, so a decrypted key is kept instead of read on every request. */
  private readonly keys = new Map<string, string>();

  constructor(
    private readonly db: Db,
    private readonly secrets: SecretBox,
  ) {}

  addMerchant(mchId: string, key: string): Promise<boolean> {
    return queries.insertMerchant(this.db, mchId, this.secrets.encrypt(key, merchantKeyPlace(mchId)));
  }

  async merchantKey(mchId: string): Promise<string | null> {
    const known = this.keys.get(mchId);
    if (known !== undefined) return known;
    const sealed = await queries.findMerchantKey(this.db, mchId);
    if (sealed === null) return null;
    const key = this.secrets.decrypt(sealed, merchantKeyPlace(mchId));
    this.keys.set(mchId, key);
    return key;
  }

  async openPayment(fields: NewPayment) {
    for (let attempt = 0; attempt < OPEN_ATTEMPTS; attempt++) {
      const payment = newPayment(fields, nextTradeNo());
      if (await queries.insertPayment(this.db, payment)) return { payment, created: true };
      const existing = await this.findByMerchantOrder(fields.mchId, fields.outTradeNo);
      if (existing) return { payment: existing, created: false };
    }
    throw new Error('could not allocate a sandbox trade number');
  }

  async findByTradeNo(tradeNo: string, now: Date = new Date()) {
    return expireIfDue(await queries.findPaymentByTradeNo(this.db, tradeNo), now);
  }

  async findByMerchantOrder(mchId: string, outTradeNo: string, now: Date = new Date()) {
    return expireIfDue(await queries.findPaymentByMerchantOrder(this.db, mchId, outTradeNo), now);
  }

  async savePayment(payment: SandboxPayment, notifies: PendingNotify[]): Promise<boolean> {
    const saved = await this.db.tx(async (q) => {
      if (!(await queries.updatePayment(q, payment))) return false;
      await queries.insertNotifies(q, notifies);
      return true;
    });
    if (saved) payment.version += 1;
    return saved;
  }

  notifyRetry(id: string, attempt: number, dueAt: Date): Promise<void> {
    return queries.rescheduleNotify(this.db, id, attempt, dueAt);
  }

  notifyDone(id: string): Promise<void> {
    return queries.deleteNotify(this.db, id);
  }

  pendingNotifies(): Promise<PendingNotify[]> {
    return queries.pendingNotifies(this.db);
  }

  async openPayout(fields: NewPayout, now: Date, announce: (payout: SandboxPayout) => PendingNotify[]) {
    for (let attempt = 0; attempt < OPEN_ATTEMPTS; attempt++) {
      const payout = newPayout(fields, now);
      const notifies = announce(payout);
      const inserted = await this.db.tx(async (q) => {
        if (!(await queries.insertPayout(q, payout))) return false;
        await queries.insertNotifies(q, notifies);
        return true;
      });
      if (inserted) return { payout, created: true, notifies };
      const existing = await this.findPayout(fields.mchId, fields.outPayoutNo);
      if (existing) return { payout: existing, created: false, notifies: [] };
    }
    throw new Error('could not allocate a sandbox payout number');
  }

  findPayout(mchId: string, outPayoutNo: string): Promise<SandboxPayout | undefined> {
    return queries.findPayout(this.db, mchId, outPayoutNo);
  }

  paymentsBookedWithin(mchId: string, from: Date, to: Date): Promise<SandboxPayment[]> {
    return queries.paymentsBookedWithin(this.db, mchId, from, to);
  }

  statementSettings(mchId: string): Promise<StatementSettings> {
    return queries.statementSettings(this.db, mchId);
  }

  setStatementSettings(mchId: string, settings: StatementSettings): Promise<boolean> {
    return queries.putStatementSettings(this.db, mchId, settings);
  }
}
