import { createHmac, randomInt } from 'node:crypto';
import type { AgentService } from '../agents/service.ts';
import type { ConsoleUserService } from '../auth/console-users.ts';
import type { SecretBox, SecretPlace } from '../auth/secret-box.ts';
import type { CatalogService } from '../catalog/service.ts';
import type { Db } from '../db/index.ts';
import { AppError, isUniqueViolation } from '../errors.ts';
import type { MerchantService } from '../merchants/service.ts';
import { ACCOUNT_NO, type BankCardService, maskAccountNo } from '../withdrawals/cards.ts';
import { type DocumentStore, sniffDocumentType } from './documents.ts';
import type {
  ApplicationFields,
  ApplicationRow,
  ApplicationState,
  ApplicationWithAgent,
  BlacklistKind,
  BlacklistRow,
  DocumentKind,
  MerchantType,
  RateJson,
} from './queries.ts';
import * as queries from './queries.ts';

/** Who acts: an operator (every application) or an agent (the applications of its subtree). */
export interface OnboardingScope {
  rootId: bigint | null;
}
export const EVERY_APPLICATION: OnboardingScope = { rootId: null };

export interface RateInput {
  productCode: string;
  ratePpm: number;
  fixedFee?: number;
  minimumFee?: number;
}

/** An application's fields as the consoles send them; on an edit, an omitted number keeps the one stored. */
export interface ApplicationInput {
  merchantType: MerchantType;
  merchantName: string;
  shortName?: string;
  legalName: string;
  idNumber?: string;
  licenceNo?: string;
  contactName: string;
  phone?: string;
  email?: string;
  businessCategory?: string;
  cardHolder: string;
  bankName: string;
  bankBranch?: string;
  cardNo?: string;
  rates: RateInput[];
}

/** The sealed numbers, by the request field that carries each. */
const SEALED = {
  idNumber: { column: 'id_number', kind: 'id_number' },
  licenceNo: { column: 'licence_no', kind: 'licence_no' },
  phone: { column: 'phone', kind: 'phone' },
  cardNo: { column: 'card_no', kind: 'card_no' },
} as const satisfies Record<string, { column: string; kind: BlacklistKind }>;
export type SealedField = keyof typeof SEALED;
const FIELD_OF_KIND: Record<BlacklistKind, SealedField> = {
  id_number: 'idNumber',
  licence_no: 'licenceNo',
  phone: 'phone',
  card_no: 'cardNo',
};

/** Where the submitter may still change an application. */
const EDITABLE: readonly ApplicationState[] = ['draft', 'changes_requested'];
/** Where an application waits for the reviewer. */
const IN_REVIEW: readonly ApplicationState[] = ['submitted', 'resubmitted'];

const MAX_NUMBER_ATTEMPTS = 5;

/** What each merchant type must upload before it is submitted. */
export function requiredDocuments(type: MerchantType): DocumentKind[] {
  return type === 'company' ? ['licence', 'id_front', 'id_back'] : ['id_front', 'id_back'];
}

/**
 * The one spelling of a number that is hashed and stored: spaces and dashes gone, letters upper
 * case, a phone without its +86. Refuses a value that is not a number of its kind.
 */
export function normalise(kind: BlacklistKind, raw: string, field: string = FIELD_OF_KIND[kind]): string {
  const value = raw.replace(/[\s-]+/g, '').toUpperCase();
  const ok = {
    id_number: /^[0-9A-Z]{8,32}$/,
    licence_no: /^[0-9A-Z]{8,32}$/,
    card_no: ACCOUNT_NO,
    phone: /^\+?\d{6,16}$/,
  }[kind].test(value);
  if (!ok)
    throw new AppError('INVALID_REQUEST', `${field}: not a valid ${kind.replace('_', ' ')}`, { field });
  if (kind === 'phone') return value.replace(/^\+?86(?=1\d{10}$)/, '').replace(/^\+/, '');
  return value;
}

/** The masked form lists show: never more than the first few and last four characters. */
export function maskNumber(kind: BlacklistKind, value: string): string {
  if (kind === 'card_no') return maskAccountNo(value.slice(0, 4), value.slice(-4));
  if (kind === 'phone') return `${value.slice(0, 3)}****${value.slice(-4)}`;
  if (kind === 'licence_no') return `${value.slice(0, 4)}****${value.slice(-4)}`;
  return `${value.slice(0, 3)}${'*'.repeat(Math.max(4, value.length - 7))}${value.slice(-4)}`;
}

function sealedPlace(id: bigint, field: SealedField): SecretPlace {
  return { table: 'onboarding_application', id, column: `${SEALED[field].column}_enc` };
}

export interface BlacklistHit {
  field: SealedField;
  kind: BlacklistKind;
  entryId: string;
  masked: string;
  note: string;
}

/**
 * Merchant onboarding (进件, AG-5): applications with the merchant's legal person, licence,
 * settlement card, rates and documents, submitted by an agent for its subtree or by an operator;
 * the review queue (ask for changes, reject, approve) with every transition recorded; the
 * blacklist, matched by keyed hashes so no number is kept in the clear; and approval, which opens
 * the merchant through the merchants, catalog, agents and withdrawals domains.
 */
export class OnboardingService {
  private readonly hashKey: Buffer;

  constructor(
    private readonly db: Db,
    private readonly deps: {
      secrets: SecretBox;
      documents: DocumentStore;
      merchants: MerchantService;
      catalog: CatalogService;
      agents: AgentService;
      cards: BankCardService;
      consoleUsers: ConsoleUserService;
    },
    masterKey: Buffer,
  ) {
    // A key of its own, derived from the master key, so a blacklist hash is useless without it.
    this.hashKey = createHmac('sha256', masterKey).update('qingyun-onboarding-blacklist-v1').digest();
  }

  /** The keyed hash of a normalised number: matches without keeping the number. */
  hashOf(kind: BlacklistKind, normalised: string): string {
    return createHmac('sha256', this.hashKey).update(`${kind}:${normalised}`).digest('hex');
  }

  // ---------- applications ----------

  /**
   * Opens an application (a draft) for a merchant to go under `agentNo` (an agent: itself or one of
   * its subtree; an operator: any agent, or none for the platform's own merchant).
   */
  async create(
    input: ApplicationInput,
    agentNo: string | null,
    scope: OnboardingScope,
    userId: bigint,
  ): Promise<ApplicationWithAgent> {
    const agent = agentNo ? await this.deps.agents.requireAgent(agentNo, scope) : null;
    if (scope.rootId !== null && !agent) throw new AppError('NOT_FOUND', 'agent not found');
    for (const field of ['idNumber', 'phone', 'cardNo'] as const) {
      if (!input[field]) throw required(field);
    }
    if (input.merchantType === 'company' && !input.licenceNo) throw required('licenceNo');
    await this.checkRatesShape(input.rates);
    for (let attempt = 0; attempt < MAX_NUMBER_ATTEMPTS; attempt++) {
      const id = await queries.nextApplicationId(this.db);
      const applicationNo = `OB${randomInt(1e9, 1e10 - 1)}`;
      const fields = this.fieldsOf(id, input, null);
      try {
        await this.db.tx(async (q) => {
          await queries.insertApplication(q, {
            id,
            applicationNo,
            agentId: agent?.id ?? null,
            userId,
            fields,
          });
          await queries.insertEvent(q, {
            applicationId: id,
            action: 'create',
            from: null,
            to: 'draft',
            userId,
          });
        });
        return (await queries.findApplication(this.db, applicationNo))!;
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
      }
    }
    throw new Error('could not allocate an application number');
  }

  /** Changes an application while it is a draft or changes were asked for. */
  async update(applicationNo: string, input: ApplicationInput, scope: OnboardingScope, userId: bigint) {
    const app = await this.require(applicationNo, scope);
    assertState(app, EDITABLE);
    if (input.merchantType === 'company' && !input.licenceNo && !app.licence_no_enc)
      throw required('licenceNo');
    await this.checkRatesShape(input.rates);
    const fields = this.fieldsOf(app.id, input, app);
    await this.db.tx(async (q) => {
      if (!(await queries.updateFields(q, app.id, EDITABLE, fields))) {
        throw stateInvalid((await queries.findApplication(q, applicationNo))!);
      }
      await queries.insertEvent(q, {
        applicationId: app.id,
        action: 'update',
        from: app.state,
        to: app.state,
        userId,
      });
    });
    return (await queries.findApplication(this.db, applicationNo))!;
  }

  /** The stored columns of the input: numbers normalised, sealed to this row, hashed and masked. */
  private fieldsOf(id: bigint, input: ApplicationInput, before: ApplicationRow | null): ApplicationFields {
    const sealed = (field: SealedField) => {
      const col = SEALED[field].column;
      const raw = input[field];
      if (!raw) {
        const row = before as unknown as Record<string, string | null> | null;
        return {
          enc: row?.[`${col}_enc`] ?? null,
          hash: row?.[`${col}_hash`] ?? null,
          masked: row?.[`${col}_masked`] ?? null,
          value: null,
        };
      }
      const value = normalise(SEALED[field].kind, raw, field);
      return {
        enc: this.deps.secrets.encrypt(value, sealedPlace(id, field)),
        hash: this.hashOf(SEALED[field].kind, value),
        masked: maskNumber(SEALED[field].kind, value),
        value,
      };
    };
    const idNumber = sealed('idNumber');
    const licence = input.merchantType === 'company' ? sealed('licenceNo') : null;
    const phone = sealed('phone');
    const card = sealed('cardNo');
    return {
      merchant_type: input.merchantType,
      merchant_name: input.merchantName,
      short_name: input.shortName ?? '',
      legal_name: input.legalName,
      id_number_enc: idNumber.enc!,
      id_number_hash: idNumber.hash!,
      id_number_masked: idNumber.masked!,
      licence_no_enc: licence?.enc ?? null,
      licence_no_hash: licence?.hash ?? null,
      licence_no_masked: licence?.masked ?? null,
      contact_name: input.contactName,
      phone_enc: phone.enc!,
      phone_hash: phone.hash!,
      phone_masked: phone.masked!,
      email: input.email ?? '',
      business_category: input.businessCategory ?? '',
      card_holder: input.cardHolder,
      bank_name: input.bankName,
      bank_branch: input.bankBranch ?? '',
      card_no_enc: card.enc!,
      card_no_hash: card.hash!,
      card_no_masked: card.masked!,
      card_first4: card.value ? card.value.slice(0, 4) : before!.card_first4,
      card_last4: card.value ? card.value.slice(-4) : before!.card_last4,
      rates: input.rates.map((r) => ({
        productCode: r.productCode,
        ratePpm: r.ratePpm,
        fixedFee: r.fixedFee ?? 0,
        minimumFee: r.minimumFee ?? 0,
      })),
    };
  }

  /** Products that exist, each once. The rate rule itself is checked at approval, against the chain then. */
  private async checkRatesShape(rates: RateInput[]) {
    const seen = new Set<string>();
    for (const r of rates) {
      if (seen.has(r.productCode)) {
        throw new AppError('INVALID_REQUEST', `rates: ${r.productCode} appears twice`, { field: 'rates' });
      }
      seen.add(r.productCode);
      await this.deps.catalog.requireProduct(r.productCode);
    }
  }

  /** An application in the scope; outside it, the same 404 as one that does not exist. */
  async require(applicationNo: string, scope: OnboardingScope): Promise<ApplicationWithAgent> {
    const app = await queries.findApplication(this.db, applicationNo);
    if (!app || !inScope(app, scope)) {
      throw new AppError('NOT_FOUND', `application ${applicationNo} not found`);
    }
    return app;
  }

  async list(
    scope: OnboardingScope,
    f: { states?: ApplicationState[]; search?: string; limit: number; offset: number },
  ) {
    const rows = await queries.listApplications(this.db, { rootId: scope.rootId, ...f });
    const hits = await queries.applicationsWithHits(
      this.db,
      rows.map((r) => r.id),
    );
    return {
      total: Number(rows[0]?.total ?? 0n),
      items: rows.map((r) => ({ ...applicationView(r), blacklistHit: hits.has(r.id) })),
    };
  }

  /**
   * One application with its documents, history and blacklist hits; `full` (reviewers only) adds
   * the numbers in the clear.
   */
  async detail(applicationNo: string, scope: OnboardingScope, full: boolean) {
    const app = await this.require(applicationNo, scope);
    const [documents, events, hits] = await Promise.all([
      queries.listDocuments(this.db, app.id),
      queries.listEvents(this.db, app.id),
      this.hits(app),
    ]);
    return {
      ...applicationView(app),
      blacklistHit: hits.length > 0,
      email: app.email,
      businessCategory: app.business_category,
      cardHolder: app.card_holder,
      bankName: app.bank_name,
      bankBranch: app.bank_branch,
      rates: app.rates,
      requiredDocuments: requiredDocuments(app.merchant_type),
      documents: documents.map((d) => ({
        kind: d.kind,
        contentType: d.content_type,
        sizeBytes: d.size_bytes,
        uploadedAt: d.created_at.toISOString(),
      })),
      events: events.map((e) => ({
        action: e.action,
        fromState: e.from_state,
        toState: e.to_state,
        note: e.note,
        by: e.username,
        at: e.created_at.toISOString(),
      })),
      hits: full || scope.rootId === null ? hits : [],
      numbers: full ? this.openNumbers(app) : null,
    };
  }

  private openNumbers(app: ApplicationRow) {
    const open = (field: SealedField, enc: string | null) =>
      enc === null ? null : this.deps.secrets.decrypt(enc, sealedPlace(app.id, field));
    return {
      idNumber: open('idNumber', app.id_number_enc),
      licenceNo: open('licenceNo', app.licence_no_enc),
      phone: open('phone', app.phone_enc),
      cardNo: open('cardNo', app.card_no_enc),
    };
  }

  /** The blacklist entries the application's numbers match, each with the field it matches. */
  async hits(app: ApplicationRow): Promise<BlacklistHit[]> {
    const pairs: { kind: BlacklistKind; hash: string }[] = [
      { kind: 'id_number', hash: app.id_number_hash },
      { kind: 'phone', hash: app.phone_hash },
      { kind: 'card_no', hash: app.card_no_hash },
    ];
    if (app.licence_no_hash) pairs.push({ kind: 'licence_no', hash: app.licence_no_hash });
    return (await queries.matchBlacklist(this.db, pairs)).map((b) => ({
      field: FIELD_OF_KIND[b.kind],
      kind: b.kind,
      entryId: b.id.toString(),
      masked: b.masked,
      note: b.note,
    }));
  }

  // ---------- documents ----------

  /** Stores a document (replacing one of the same kind) while the application may be edited. */
  async uploadDocument(
    applicationNo: string,
    kind: DocumentKind,
    bytes: Buffer,
    scope: OnboardingScope,
    userId: bigint,
  ) {
    const app = await this.require(applicationNo, scope);
    const contentType = sniffDocumentType(bytes);
    assertState(app, EDITABLE);
    const existing = await queries.findDocument(this.db, app.id, kind);
    const id = existing?.id ?? (await queries.nextDocumentId(this.db));
    const { sha256 } = this.deps.documents.write(id, bytes);
    const row = await this.db.tx(async (q) => {
      const saved = await queries.saveDocument(q, {
        id,
        applicationId: app.id,
        kind,
        contentType,
        size: bytes.length,
        sha256,
      });
      await queries.insertEvent(q, {
        applicationId: app.id,
        action: 'upload',
        from: app.state,
        to: app.state,
        details: { kind, contentType, sizeBytes: bytes.length },
        userId,
      });
      return saved;
    });
    return {
      kind: row.kind,
      contentType: row.content_type,
      sizeBytes: row.size_bytes,
      uploadedAt: row.created_at.toISOString(),
    };
  }

  async readDocument(applicationNo: string, kind: DocumentKind, scope: OnboardingScope) {
    const app = await this.require(applicationNo, scope);
    const doc = await queries.findDocument(this.db, app.id, kind);
    if (!doc) throw new AppError('NOT_FOUND', `no ${kind} document`);
    return { contentType: doc.content_type, bytes: this.deps.documents.read(doc.id) };
  }

  // ---------- transitions ----------

  /**
   * Sends a draft (or an application changes were asked for) to review: its documents must be
   * there. The blacklist is checked now too; a hit does not stop the submission, the reviewer sees it.
   */
  async submit(applicationNo: string, scope: OnboardingScope, userId: bigint) {
    const app = await this.require(applicationNo, scope);
    assertState(app, EDITABLE);
    const have = new Set((await queries.listDocuments(this.db, app.id)).map((d) => d.kind));
    const missing = requiredDocuments(app.merchant_type).filter((k) => !have.has(k));
    if (missing.length > 0) {
      throw new AppError('DOCUMENTS_MISSING', `upload these documents first: ${missing.join(', ')}`, {
        kinds: missing,
      });
    }
    const hits = await this.hits(app);
    const to: ApplicationState = app.state === 'draft' ? 'submitted' : 'resubmitted';
    return this.move(app, [app.state], to, userId, {
      action: app.state === 'draft' ? 'submit' : 'resubmit',
      submitted: true,
      details:
        hits.length > 0
          ? { blacklistHits: hits.map((h) => ({ field: h.field, entryId: h.entryId })) }
          : undefined,
    });
  }

  /** The reviewer asks the submitter to change something (the note says what). */
  requestChanges(applicationNo: string, note: string, userId: bigint) {
    return this.review(applicationNo, 'changes_requested', note, userId, 'request_changes');
  }

  reject(applicationNo: string, reason: string, userId: bigint) {
    return this.review(applicationNo, 'rejected', reason, userId, 'reject');
  }

  private async review(
    applicationNo: string,
    to: ApplicationState,
    note: string,
    userId: bigint,
    action: string,
  ) {
    const app = await this.require(applicationNo, EVERY_APPLICATION);
    assertState(app, IN_REVIEW);
    return this.move(app, IN_REVIEW, to, userId, { action, note, reviewNote: note, reviewer: true });
  }

  private async move(
    app: ApplicationWithAgent,
    from: readonly ApplicationState[],
    to: ApplicationState,
    userId: bigint,
    o: {
      action: string;
      note?: string;
      reviewNote?: string;
      reviewer?: boolean;
      submitted?: boolean;
      details?: Record<string, unknown>;
    },
  ) {
    await this.db.tx(async (q) => {
      const moved = await queries.transition(q, app.id, from, to, {
        reviewNote: o.reviewNote,
        reviewerId: o.reviewer ? userId : undefined,
        submitted: o.submitted,
      });
      if (!moved) throw stateInvalid((await queries.findApplication(q, app.application_no))!);
      await queries.insertEvent(q, {
        applicationId: app.id,
        action: o.action,
        from: app.state,
        to,
        note: o.note,
        details: o.details,
        userId,
      });
    });
    return (await queries.findApplication(this.db, app.application_no))!;
  }

  /**
   * Approves an application in review and opens its merchant: refused while a number is on the
   * blacklist (BLACKLIST_HIT naming the field) or while a rate breaks the rate rule along the
   * agent chain (checked for every rate before anything is opened). Then the merchant (pending
   * until the end, under the application's agent), its rates, its settlement card and, with
   * `manager`, its first manager login; last the merchant is enabled and the application approved.
   * A step that fails leaves the application in review with its merchant linked and not enabled,
   * and approving again carries on with the same merchant.
   */
  async approve(
    applicationNo: string,
    userId: bigint,
    opts: { note?: string; manager?: { username: string; password: string; email?: string } },
  ) {
    const app = await this.require(applicationNo, EVERY_APPLICATION);
    assertState(app, IN_REVIEW);
    const hits = await this.hits(app);
    if (hits.length > 0) {
      const first = hits[0]!;
      throw new AppError('BLACKLIST_HIT', `${first.field} is on the blacklist (entry ${first.entryId})`, {
        field: first.field,
        kind: first.kind,
        entryId: first.entryId,
        fields: hits.map((h) => h.field),
      });
    }
    for (const r of app.rates) {
      await this.deps.catalog.checkNewMerchantTerms(r.productCode, termsOf(r), app.agent_id);
    }
    const merchantId = await this.openMerchant(app);
    for (const r of app.rates) {
      await this.deps.catalog.setMerchantRate(merchantId, r.productCode, termsOf(r));
    }
    if ((await this.deps.cards.list(merchantId)).length === 0) {
      await this.deps.cards.bind(
        merchantId,
        {
          holderName: app.card_holder,
          accountNo: this.deps.secrets.decrypt(app.card_no_enc, sealedPlace(app.id, 'cardNo')),
          bankName: app.bank_name,
          bankBranch: app.bank_branch,
          cardType: app.merchant_type === 'company' ? 'corporate' : 'personal',
        },
        { review: false, userId },
      );
    }
    let managerUsername: string | null = null;
    if (opts.manager) {
      const user = await this.deps.consoleUsers.createUser({
        area: 'merchant',
        username: opts.manager.username,
        password: opts.manager.password,
        email: opts.manager.email,
        merchantId,
        merchantRole: 'manager',
        mustChangePassword: true,
        createdBy: userId,
      });
      managerUsername = user.username;
    }
    const merchant = (await this.deps.merchants.findMerchantById(merchantId))!;
    if (merchant.state === 'pending') {
      await this.deps.merchants.reviewMerchant(merchant.mch_no, true, opts.note ?? '');
    }
    const approved = await this.move(app, IN_REVIEW, 'approved', userId, {
      action: 'approve',
      note: opts.note ?? '',
      reviewNote: opts.note ?? '',
      reviewer: true,
      details: { mchNo: merchant.mch_no, manager: managerUsername },
    });
    return { application: approved, mchNo: merchant.mch_no, managerUsername };
  }

  /** The application's merchant: opened (pending, under the agent) and linked once, even when approvals race. */
  private async openMerchant(app: ApplicationWithAgent): Promise<bigint> {
    if (app.merchant_id !== null) return app.merchant_id;
    const merchant = await this.deps.merchants.createMerchant({
      name: app.merchant_name,
      shortName: app.short_name,
      contact: app.contact_name,
      review: true,
    });
    if (app.agent_id !== null) await this.deps.merchants.setAgent(merchant.id, app.agent_id);
    if (await queries.linkMerchant(this.db, app.id, merchant.id)) return merchant.id;
    await this.deps.merchants.discardNewMerchant(merchant.id);
    return (await queries.findApplication(this.db, app.application_no))!.merchant_id!;
  }

  // ---------- blacklist ----------

  async listBlacklist(f: { kind?: BlacklistKind; limit: number; offset: number }) {
    const rows = await queries.listBlacklist(this.db, f);
    return { total: Number(rows[0]?.total ?? 0n), items: rows.map(blacklistView) };
  }

  /** Adds a number to the blacklist: only its keyed hash and masked form are kept. */
  async addBlacklistEntry(kind: BlacklistKind, value: string, note: string, userId: bigint) {
    const normalised = normalise(kind, value, 'value');
    const row = await queries.insertBlacklistEntry(this.db, {
      kind,
      valueHash: this.hashOf(kind, normalised),
      masked: maskNumber(kind, normalised),
      note,
      userId,
    });
    if (!row) {
      throw new AppError('ALREADY_EXISTS', `this ${kind} is on the blacklist already`, {
        kind: 'blacklist_entry',
        name: maskNumber(kind, normalised),
      });
    }
    return blacklistView(row);
  }

  async requireBlacklistEntry(id: bigint) {
    const row = await queries.findBlacklistEntry(this.db, id);
    if (!row) throw new AppError('NOT_FOUND', `blacklist entry ${id} not found`);
    return blacklistView(row);
  }

  async updateBlacklistEntry(id: bigint, note: string) {
    const row = await queries.updateBlacklistNote(this.db, id, note);
    if (!row) throw new AppError('NOT_FOUND', `blacklist entry ${id} not found`);
    return blacklistView(row);
  }

  async removeBlacklistEntry(id: bigint) {
    const row = await queries.deleteBlacklistEntry(this.db, id);
    if (!row) throw new AppError('NOT_FOUND', `blacklist entry ${id} not found`);
    return blacklistView(row);
  }
}

function termsOf(r: RateJson) {
  return { ratePpm: r.ratePpm, fixedFee: BigInt(r.fixedFee), minimumFee: BigInt(r.minimumFee) };
}

function inScope(app: ApplicationWithAgent, scope: OnboardingScope): boolean {
  return scope.rootId === null || (app.agent_path ?? []).includes(scope.rootId);
}

function required(field: string): AppError {
  return new AppError('INVALID_REQUEST', `${field} is required`, { field });
}

function assertState(app: ApplicationRow, allowed: readonly ApplicationState[]) {
  if (!allowed.includes(app.state)) throw stateInvalid(app);
}

function stateInvalid(app: ApplicationRow): AppError {
  return new AppError(
    'APPLICATION_STATE_INVALID',
    `application ${app.application_no} is ${app.state}, which does not allow this`,
    { state: app.state },
  );
}

/** An application as lists show it: every number masked. */
export function applicationView(r: ApplicationWithAgent) {
  return {
    applicationNo: r.application_no,
    state: r.state,
    merchantType: r.merchant_type,
    merchantName: r.merchant_name,
    shortName: r.short_name,
    legalName: r.legal_name,
    contactName: r.contact_name,
    agentNo: r.agent_no,
    mchNo: r.mch_no,
    idNumberMasked: r.id_number_masked,
    licenceNoMasked: r.licence_no_masked,
    phoneMasked: r.phone_masked,
    cardNoMasked: r.card_no_masked,
    reviewNote: r.review_note,
    submittedAt: r.submitted_at?.toISOString() ?? null,
    reviewedAt: r.reviewed_at?.toISOString() ?? null,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

export function blacklistView(r: BlacklistRow) {
  return {
    id: r.id.toString(),
    kind: r.kind,
    masked: r.masked,
    note: r.note,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}
