import type { SecretBox, SecretPlace } from '../auth/secret-box.ts';
import type { BankAccount } from '../channels/types.ts';
import type { Db, Queryable } from '../db/index.ts';
import { AppError } from '../errors.ts';
import {
  asOwner,
  lockOwner,
  OWNER_NAME_COLUMNS,
  type OwnerNames,
  ownerColumn,
  ownerColumns,
  ownerNameJoins,
  ownerOf,
  type WithdrawalOwner,
} from './owner.ts';

export const CARD_TYPES = ['personal', 'corporate'] as const;
export type CardType = (typeof CARD_TYPES)[number];
export const CARD_STATES = ['active', 'pending_review', 'rejected'] as const;
export type CardState = (typeof CARD_STATES)[number];

export interface BankCardRow {
  id: bigint;
  /** One of merchant_id / agent_id / member_id: whose card it is. */
  merchant_id: bigint | null;
  agent_id: bigint | null;
  member_id: bigint | null;
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

/** The owner's numbers and names beside an operator's list row: a merchant's, an agent's or a member's. */
export type CardOwnerNames = OwnerNames;

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

type Owner = bigint | WithdrawalOwner;

/**
 * Settlement bank cards of merchants (MP-4), agents and marketplace members: each card is one owner's, and every read
 * and change names that owner (a bare id is a merchant's). The number is sealed to its row before the row is
 * written (the id is taken from the sequence first, like app secrets); only its ends stay readable.
 */
export class BankCardService {
  constructor(
    private readonly db: Db,
    private readonly secrets: SecretBox,
  ) {}

  async list(owner: Owner): Promise<BankCardRow[]> {
    const o = asOwner(owner);
    return this.db.query<BankCardRow>(
      `SELECT * FROM bank_card WHERE ${ownerColumn(o)} = $1 AND deleted_at IS NULL ORDER BY is_default DESC, id`,
      [o.id],
    );
  }

  /** A card of this owner (another's card is not found). */
  async require(owner: Owner, id: bigint, q: Queryable = this.db): Promise<BankCardRow> {
    const o = asOwner(owner);
    const row = (
      await q.query<BankCardRow>(
        `SELECT * FROM bank_card WHERE id = $1 AND ${ownerColumn(o)} = $2 AND deleted_at IS NULL`,
        [id, o.id],
      )
    )[0];
    if (!row) throw new AppError('NOT_FOUND', `bank card ${id} not found`);
    return row;
  }

  /** Binds a card: active at once, or pending_review when the platform reviews card changes. */
  async bind(
    owner: Owner,
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
    const o = asOwner(owner);
    const columns = ownerColumns(o);
    return this.db.tx(async (q) => {
      // The first usable card becomes the default.
      await lockOwner(q, o);
      const hasDefault =
        (
          await q.query(
            `SELECT 1 FROM bank_card WHERE ${ownerColumn(o)} = $1 AND is_default AND deleted_at IS NULL`,
            [o.id],
          )
        ).length > 0;
      const rows = await q.query<BankCardRow>(
        `INSERT INTO bank_card (id, merchant_id, agent_id, member_id, holder_name, account_no_enc, account_first4,
           account_last4, bank_name, bank_branch, card_type, state, is_default, created_by_user_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING *`,
        [
          id,
          columns.merchant_id,
          columns.agent_id,
          columns.member_id,
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
  async setDefault(owner: Owner, id: bigint): Promise<BankCardRow> {
    const o = asOwner(owner);
    return this.db.tx(async (q) => {
      const card = await this.require(o, id, q);
      if (card.state !== 'active') {
        throw new AppError('INVALID_REQUEST', 'only an active card can be the default', { field: 'state' });
      }
      await q.query(
        `UPDATE bank_card SET is_default = FALSE, updated_at = now() WHERE ${ownerColumn(o)} = $1 AND is_default`,
        [o.id],
      );
      const rows = await q.query<BankCardRow>(
        'UPDATE bank_card SET is_default = TRUE, updated_at = now() WHERE id = $1 RETURNING *',
        [id],
      );
      return rows[0]!;
    });
  }

  /** Removes a card (kept for the withdrawals that name it); another active card becomes the default. */
  async remove(owner: Owner, id: bigint): Promise<BankCardRow> {
    const o = asOwner(owner);
    return this.db.tx(async (q) => {
      const card = await this.require(o, id, q);
      await q.query(
        'UPDATE bank_card SET deleted_at = now(), is_default = FALSE, updated_at = now() WHERE id = $1',
        [id],
      );
      if (card.is_default) await this.promoteDefault(q, o);
      return card;
    });
  }

  /** The default card, else the oldest active one. */
  async usable(owner: Owner, cardId: bigint | undefined, q: Queryable): Promise<BankCardRow | null> {
    const o = asOwner(owner);
    const column = ownerColumn(o);
    if (cardId !== undefined) {
      const rows = await q.query<BankCardRow>(
        `SELECT * FROM bank_card WHERE id = $1 AND ${column} = $2 AND deleted_at IS NULL AND state = 'active'`,
        [cardId, o.id],
      );
      return rows[0] ?? null;
    }
    const rows = await q.query<BankCardRow>(
      `SELECT * FROM bank_card WHERE ${column} = $1 AND deleted_at IS NULL AND state = 'active'
       ORDER BY is_default DESC, id LIMIT 1`,
      [o.id],
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

  /** Every owner's cards: a merchant's with its number and name, an agent's or a member's with its own. */
  async listForReview(f: { state?: CardState; limit: number; offset: number }) {
    const rows = await this.db.query<BankCardRow & CardOwnerNames & { total: bigint }>(
      `SELECT c.*, ${OWNER_NAME_COLUMNS}, count(*) OVER () AS total
       FROM bank_card c ${ownerNameJoins('c')}
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
        await lockOwner(q, ownerOf(card));
        await this.promoteDefault(q, ownerOf(card));
        return (await q.query<BankCardRow>('SELECT * FROM bank_card WHERE id = $1', [id]))[0]!;
      }
      return card;
    });
  }

  private async promoteDefault(q: Queryable, owner: WithdrawalOwner): Promise<void> {
    const column = ownerColumn(owner);
    await q.query(
      `UPDATE bank_card SET is_default = TRUE, updated_at = now()
       WHERE id = (SELECT id FROM bank_card WHERE ${column} = $1 AND state = 'active' AND deleted_at IS NULL ORDER BY id LIMIT 1)
         AND NOT EXISTS (SELECT 1 FROM bank_card WHERE ${column} = $1 AND is_default AND deleted_at IS NULL)`,
      [owner.id],
    );
  }
}
