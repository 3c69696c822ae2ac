import type { SecretBox, SecretPlace } from '../auth/secret-box.ts';
import type { BankAccount } from '../channels/types.ts';
import type { Db, Queryable } from '../db/index.ts';
import { AppError } from '../errors.ts';

export const CARD_TYPES = ['personal', 'corporate'] as const;
export type CardType = (typeof CARD_TYPES)[number];
export const CARD_STATES = ['active', 'pending_review', 'rejected'] as const;
export type CardState = (typeof CARD_STATES)[number];

export interface BankCardRow {
  id: bigint;
  merchant_id: bigint;
  holder_name: string;
  account_no_enc: string;
  account_first4: string;
  account_last4: string;
  bank_name: string;
  bank_branch: string;
  card_type: CardType;
  state: CardState;
  is_default: boolean;
  review_reason: string | null;
  reviewed_at: Date | null;
  created_at: Date;
  deleted_at: Date | null;
}

export interface NewBankCard {
  holderName: string;
  accountNo: string;
  bankName: string;
  bankBranch?: string;
  cardType: CardType;
}

/** Where a card's account number is sealed: it opens only in its own row. */
export function cardSecretPlace(id: bigint): SecretPlace {
  return { table: 'bank_card', id, column: 'account_no_enc' };
}

/** `6222 **** **** 1234`: the first and last four digits, never more. */
export function maskAccountNo(first4: string, last4: string): string {
  return `${first4} **** **** ${last4}`;
}

export const ACCOUNT_NO = /^\d{12,30}$/;

/** The card as the portal and the consoles see it: masked, never the number. */
export function bankCardView(card: BankCardRow) {
  return {
    id: card.id.toString(),
    holderName: card.holder_name,
    accountNoMasked: maskAccountNo(card.account_first4, card.account_last4),
    bankName: card.bank_name,
    bankBranch: card.bank_branch,
    cardType: card.card_type,
    state: card.state,
    isDefault: card.is_default,
    createdAt: card.created_at.toISOString(),
    reviewReason: card.review_reason,
  };
}

/**
 * A merchant's settlement bank cards (MP-4). The number is sealed to its row before the row is
 * written (the id is taken from the sequence first, like app secrets); only its ends stay readable.
 */
export class BankCardService {
  constructor(
    private readonly db: Db,
    private readonly secrets: SecretBox,
  ) {}

  async list(merchantId: bigint): Promise<BankCardRow[]> {
    return this.db.query<BankCardRow>(
      'SELECT * FROM bank_card WHERE merchant_id = $1 AND deleted_at IS NULL ORDER BY is_default DESC, id',
      [merchantId],
    );
  }

  /** A card of this merchant (another merchant's card is not found). */
  async require(merchantId: bigint, id: bigint, q: Queryable = this.db): Promise<BankCardRow> {
    const row = (
      await q.query<BankCardRow>(
        'SELECT * FROM bank_card WHERE id = $1 AND merchant_id = $2 AND deleted_at IS NULL',
        [id, merchantId],
      )
    )[0];
    if (!row) throw new AppError('NOT_FOUND', `bank card ${id} not found`);
    return row;
  }

  /** Binds a card: active at once, or pending_review when the platform reviews card changes. */
  async bind(
    merchantId: bigint,
    input: NewBankCard,
    opts: { review: boolean; userId: bigint | null },
  ): Promise<BankCardRow> {
    const accountNo = input.accountNo.replace(/\s+/g, '');
    if (!ACCOUNT_NO.test(accountNo)) {
      throw new AppError('INVALID_REQUEST', 'accountNo: 12–30 digits', { field: 'accountNo' });
    }
    const id = (
      await this.db.query<{ id: bigint }>(`SELECT nextval(pg_get_serial_sequence('bank_card', 'id')) AS id`)
    )[0]!.id;
    const sealed = this.secrets.encrypt(accountNo, cardSecretPlace(id));
    const state: CardState = opts.review ? 'pending_review' : 'active';
    return this.db.tx(async (q) => {
      // The first usable card becomes the default.
      await q.query('SELECT id FROM merchant WHERE id = $1 FOR NO KEY UPDATE', [merchantId]);
      const hasDefault =
        (
          await q.query(
            'SELECT 1 FROM bank_card WHERE merchant_id = $1 AND is_default AND deleted_at IS NULL',
            [merchantId],
          )
        ).length > 0;
      const rows = await q.query<BankCardRow>(
        `INSERT INTO bank_card (id, merchant_id, holder_name, account_no_enc, account_first4, account_last4, bank_name,
           bank_branch, card_type, state, is_default, created_by_user_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING *`,
        [
          id,
          merchantId,
          input.holderName,
          sealed,
          accountNo.slice(0, 4),
          accountNo.slice(-4),
          input.bankName,
          input.bankBranch ?? '',
          input.cardType,
          state,
          !hasDefault && state === 'active',
          opts.userId,
        ],
      );
      return rows[0]!;
    });
  }

  /** Makes an active card the default (the one auto-withdrawal and card-less requests use). */
  async setDefault(merchantId: bigint, id: bigint): Promise<BankCardRow> {
    return this.db.tx(async (q) => {
      const card = await this.require(merchantId, id, q);
      if (card.state !== 'active') {
        throw new AppError('INVALID_REQUEST', 'only an active card can be the default', { field: 'state' });
      }
      await q.query(
        'UPDATE bank_card SET is_default = FALSE, updated_at = now() WHERE merchant_id = $1 AND is_default',
        [merchantId],
      );
      const rows = await q.query<BankCardRow>(
        'UPDATE bank_card SET is_default = TRUE, updated_at = now() WHERE id = $1 RETURNING *',
        [id],
      );
      return rows[0]!;
    });
  }

  /** Removes a card (kept for the withdrawals that name it); another active card becomes the default. */
  async remove(merchantId: bigint, id: bigint): Promise<BankCardRow> {
    return this.db.tx(async (q) => {
      const card = await this.require(merchantId, id, q);
      await q.query(
        'UPDATE bank_card SET deleted_at = now(), is_default = FALSE, updated_at = now() WHERE id = $1',
        [id],
      );
      if (card.is_default) await this.promoteDefault(q, merchantId);
      return card;
    });
  }

  /** The default card, else the oldest active one. */
  async usable(merchantId: bigint, cardId: bigint | undefined, q: Queryable): Promise<BankCardRow | null> {
    if (cardId !== undefined) {
      const rows = await q.query<BankCardRow>(
        `SELECT * FROM bank_card WHERE id = $1 AND merchant_id = $2 AND deleted_at IS NULL AND state = 'active'`,
        [cardId, merchantId],
      );
      return rows[0] ?? null;
    }
    const rows = await q.query<BankCardRow>(
      `SELECT * FROM bank_card WHERE merchant_id = $1 AND deleted_at IS NULL AND state = 'active'
       ORDER BY is_default DESC, id LIMIT 1`,
      [merchantId],
    );
    return rows[0] ?? null;
  }

  /** The card as a payee for the channel: opened here, handed over, never stored or logged elsewhere. */
  payeeOf(card: BankCardRow): BankAccount {
    return {
      name: card.holder_name,
      accountNo: this.secrets.decrypt(card.account_no_enc, cardSecretPlace(card.id)),
      bankName: card.bank_name,
      bankBranch: card.bank_branch || null,
      type: card.card_type,
    };
  }

  // ---------- operator review ----------

  async listForReview(f: { state?: CardState; limit: number; offset: number }) {
    const rows = await this.db.query<BankCardRow & { mch_no: string; merchant_name: string; total: bigint }>(
      `SELECT c.*, m.mch_no, m.name AS merchant_name, count(*) OVER () AS total
       FROM bank_card c JOIN merchant m ON m.id = c.merchant_id
       WHERE c.deleted_at IS NULL AND ($1::text IS NULL OR c.state = $1)
       ORDER BY c.id DESC LIMIT $2 OFFSET $3`,
      [f.state ?? null, f.limit, f.offset],
    );
    return { rows, total: Number(rows[0]?.total ?? 0n) };
  }

  async requireAny(id: bigint, q: Queryable = this.db): Promise<BankCardRow> {
    const row = (
      await q.query<BankCardRow>('SELECT * FROM bank_card WHERE id = $1 AND deleted_at IS NULL', [id])
    )[0];
    if (!row) throw new AppError('NOT_FOUND', `bank card ${id} not found`);
    return row;
  }

  /** Approves or rejects a card waiting for review (compare-and-set). */
  async review(id: bigint, approve: boolean, reason: string | null, userId: bigint): Promise<BankCardRow> {
    return this.db.tx(async (q) => {
      const card = (
        await q.query<BankCardRow>(
          `UPDATE bank_card SET state = $2, review_reason = $3, reviewed_at = now(), reviewed_by_user_id = $4,
             updated_at = now()
           WHERE id = $1 AND state = 'pending_review' AND deleted_at IS NULL RETURNING *`,
          [id, approve ? 'active' : 'rejected', reason, userId],
        )
      )[0];
      if (!card) {
        const now = await this.requireAny(id, q);
        throw new AppError('INVALID_REQUEST', `bank card ${id} is ${now.state}, not waiting for review`, {
          field: 'state',
        });
      }
      if (approve) {
        await q.query('SELECT id FROM merchant WHERE id = $1 FOR NO KEY UPDATE', [card.merchant_id]);
        await this.promoteDefault(q, card.merchant_id);
        return (await q.query<BankCardRow>('SELECT * FROM bank_card WHERE id = $1', [id]))[0]!;
      }
      return card;
    });
  }

  private async promoteDefault(q: Queryable, merchantId: bigint): Promise<void> {
    await q.query(
      `UPDATE bank_card SET is_default = TRUE, updated_at = now()
       WHERE id = (SELECT id FROM bank_card WHERE merchant_id = $1 AND state = 'active' AND deleted_at IS NULL ORDER BY id LIMIT 1)
         AND NOT EXISTS (SELECT 1 FROM bank_card WHERE merchant_id = $1 AND is_default AND deleted_at IS NULL)`,
      [merchantId],
    );
  }
}
