import { createHash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { Mailer } from '../auth/mailer.ts';
import type { SecretBox, SecretPlace } from '../auth/secret-box.ts';
import type { Db } from '../db/index.ts';
import { AppError } from '../errors.ts';
import type { MerchantService } from '../merchants/service.ts';
import type { BankCardService } from '../withdrawals/cards.ts';
import { memberOwner } from '../withdrawals/owner.ts';
import type { LinkRow } from './onboarding-queries.ts';
import * as links from './onboarding-queries.ts';
import type { MemberRow, MemberType } from './queries.ts';
import * as queries from './queries.ts';
import { type MemberService, maskPhone } from './service.ts';

/** A signing link is good for seven days (seed 001 §1). */
export const LINK_TTL_SECONDS = 7 * 24 * 3_600;
/** The largest licence image accepted. */
export const MAX_IMAGE_BYTES = 2 * 1024 * 1024;
export const IMAGE_KINDS = ['licence', 'legal_person_id'] as const;
export type ImageKind = (typeof IMAGE_KINDS)[number];
/** A phone code: good for ten minutes, five guesses; one a minute and ten in all per link. */
export const CODE_TTL_SECONDS = 10 * 60;
export const CODE_MAX_ATTEMPTS = 5;
export const CODE_INTERVAL_SECONDS = 60;
export const CODES_PER_LINK = 10;

export const STEPS = ['identity', 'licence', 'phone', 'card', 'agreement'] as const;
export type Step = (typeof STEPS)[number];
export type LinkState = 'open' | 'completed' | 'revoked' | 'expired';

const PHONE = /^1\d{10}$/;
/** A resident ID number: 17 digits and a digit or X. */
const PERSON_ID = /^\d{17}[\dX]$/;
/** A unified social credit code: 18 digits and capital letters. */
const CREDIT_CODE = /^[0-9A-Z]{18}$/;
const ACCOUNT_NO = /^\d{12,30}$/;

const SIGNATURES: { type: 'image/png' | 'image/jpeg'; bytes: number[] }[] = [
  { type: 'image/jpeg', bytes: [0xff, 0xd8, 0xff] },
  { type: 'image/png', bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
];

export interface IdentityInput {
  type: MemberType;
  /** The person's name, or the company's. */
  name: string;
  /** The person's ID number, or the company's unified social credit code. */
  idNo: string;
  legalPersonName?: string;
  legalPersonIdNo?: string;
}

export interface NewLinkInput {
  appId?: string;
  bizUserId?: string;
  type?: MemberType;
  name?: string;
  phone?: string;
}

const sealedAt = (id: bigint, column: string): SecretPlace => ({
  table: 'member_onboarding_link',
  id,
  column,
});

/**
 * Self-service onboarding by signing link (签约链接, seed 001 §1): the merchant creates a link for
 * an app (optionally with the member's bizUserId, type, name and phone filled in), valid seven
 * days; the member opens it without logging in and does the steps in order — identity through the
 * verifier, licence images (enterprises), a phone proven by SMS code, a bank card (optional) — each
 * saved as it passes, so the link resumes where it was left; signing the agreement opens the member
 * (source self_service), active, with its card, and completes the link. A link that expired, was
 * revoked or completed changes nothing. Only the token's hash is kept.
 */
export class MemberOnboarding {
  constructor(
    private readonly db: Db,
    private readonly deps: {
      secrets: SecretBox;
      members: MemberService;
      merchants: MerchantService;
      cards: BankCardService;
      mailer: Mailer;
    },
    private readonly options: { publicUrl: () => string },
  ) {}

  urlOf(token: string): string {
    return `${this.options.publicUrl()}/onboard/${token}`;
  }

  // ---------- the merchant's side ----------

  async create(
    merchantId: bigint,
    input: NewLinkInput,
    createdBy: bigint | null,
  ): Promise<{ link: LinkRow; token: string; url: string }> {
    const keys = await this.deps.merchants.orderingApp(merchantId, input.appId);
    const phone = input.phone?.trim() || null;
    if (phone && !PHONE.test(phone)) {
      throw new AppError('INVALID_REQUEST', 'phone: a mainland mobile number, 11 digits', { field: 'phone' });
    }
    const bizUserId = input.bizUserId?.trim() || null;
    if (bizUserId && (await queries.selectByBizUserId(this.db, keys.appDbId, bizUserId))) {
      throw new AppError('MEMBER_EXISTS', `member ${bizUserId} exists in this app`, { field: 'bizUserId' });
    }
    const token = randomBytes(32).toString('base64url');
    const link = await links.insertLink(this.db, {
      merchantId,
      appId: keys.appDbId,
      tokenHash: hashOf(token),
      presetBizUserId: bizUserId,
      presetType: input.type ?? null,
      presetName: input.name?.trim() || null,
      presetPhone: phone,
      ttlSeconds: LINK_TTL_SECONDS,
      createdBy,
    });
    return { link, token, url: this.urlOf(token) };
  }

  async list(merchantId: bigint, f: { state?: LinkState; cursor?: bigint; limit?: number }) {
    const limit = Math.min(f.limit ?? 20, 100);
    const rows = await links.listLinks(this.db, {
      merchantId,
      state: f.state,
      beforeId: f.cursor,
      limit: limit + 1,
    });
    const items = rows.slice(0, limit);
    return { items, nextCursor: rows.length > limit ? items.at(-1)!.id.toString() : null };
  }

  async requireOfMerchant(merchantId: bigint, linkNo: string): Promise<LinkRow> {
    const link = await links.linkOfMerchant(this.db, merchantId, linkNo);
    if (!link) throw new AppError('ONBOARDING_LINK_NOT_FOUND', `no signing link ${linkNo}`);
    return link;
  }

  /** Revokes an open link (an expired one too, so it shows as revoked); a completed one stays. */
  async revoke(merchantId: bigint, linkNo: string): Promise<LinkRow> {
    const link = await this.requireOfMerchant(merchantId, linkNo);
    const revoked = await links.revokeLink(this.db, link.id);
    if (revoked) return revoked;
    const now = (await links.linkOfMerchant(this.db, merchantId, linkNo))!;
    throw closedError(now);
  }

  imagesOf(linkIds: bigint[]) {
    return links.imagesOf(this.db, linkIds);
  }

  async image(merchantId: bigint, linkNo: string, kind: string) {
    const link = await this.requireOfMerchant(merchantId, linkNo);
    const image = await links.imageContent(this.db, link.id, kind);
    if (!image) throw new AppError('NOT_FOUND', `no ${kind} image on link ${linkNo}`);
    return image;
  }

  // ---------- the member's side (by token) ----------

  /** The link of a token whatever its state; ONBOARDING_LINK_NOT_FOUND for a token never issued. */
  async byToken(token: string): Promise<LinkRow> {
    const link = /^[A-Za-z0-9_-]{20,100}$/.test(token)
      ? await links.linkByTokenHash(this.db, hashOf(token))
      : undefined;
    if (!link) throw new AppError('ONBOARDING_LINK_NOT_FOUND', 'this signing link does not exist');
    return link;
  }

  /** The link of a token while the member may still act on it; the clear refusal otherwise. */
  async requireOpen(token: string): Promise<LinkRow> {
    const link = await this.byToken(token);
    if (stateOf(link) !== 'open') throw closedError(link);
    return link;
  }

  /** A step's write, refused when the link closed or expired since it was read. */
  private async save(link: LinkRow, set: Parameters<typeof links.updateOpenLink>[2]): Promise<LinkRow> {
    const saved = await links.updateOpenLink(this.db, link.id, set);
    if (saved) return saved;
    throw closedError(await this.reread(link));
  }

  private async reread(link: LinkRow): Promise<LinkRow> {
    return (await links.linkByTokenHash(this.db, link.token_hash))!;
  }

  /** Whether the steps before `step` are done; ONBOARDING_STEP_ORDER naming the first that is not. */
  private async requireBefore(link: LinkRow, step: Step): Promise<void> {
    const done = await this.progress(link);
    const missing = STEPS.slice(0, STEPS.indexOf(step)).find((s) => !done[s]);
    if (missing) {
      throw new AppError('ONBOARDING_STEP_ORDER', `finish the ${missing} step first`, { step: missing });
    }
  }

  /** Which steps are done (licence counts as done for a person, card when skipped). */
  async progress(link: LinkRow): Promise<Record<Step, boolean>> {
    const images = new Set((await links.imagesOf(this.db, [link.id])).map((i) => i.kind));
    return {
      identity: link.identity_verified_at !== null,
      licence: link.type !== 'enterprise' || images.has('licence'),
      phone: link.phone_verified_at !== null,
      card: link.card_verified_at !== null || link.card_skipped_at !== null,
      agreement: link.state === 'completed',
    };
  }

  /**
   * Step identity: a person's name and ID number, or a company's name and unified social credit
   * code with its legal person's name and ID number, each pair checked by the verifier. A refusal
   * is MEMBER_VERIFY_FAILED and saves nothing, so the member corrects and retries; a pass saves the
   * data sealed (a new identity forgets a card checked against the old one).
   */
  async identity(token: string, input: IdentityInput): Promise<LinkRow> {
    const link = await this.requireOpen(token);
    const clean = checkIdentity(input, link.preset_type);
    const verifier = this.deps.members.verifier;
    const company = await verifier.verifyIdentity(clean.name, clean.idNo);
    if (!company.ok) throw verifyFailed(company.reason, 'idNo');
    if (clean.type === 'enterprise') {
      const legal = await verifier.verifyIdentity(clean.legalPersonName!, clean.legalPersonIdNo!);
      if (!legal.ok) throw verifyFailed(legal.reason, 'legalPersonIdNo');
    }
    const seal = (value: string, column: string) =>
      this.deps.secrets.encrypt(value, sealedAt(link.id, column));
    return this.save(link, {
      type: clean.type,
      name: clean.name,
      id_no_enc: seal(clean.idNo, 'id_no_enc'),
      id_no_last4: clean.idNo.slice(-4),
      legal_person_name: clean.legalPersonName ?? null,
      legal_id_no_enc: clean.legalPersonIdNo ? seal(clean.legalPersonIdNo, 'legal_id_no_enc') : null,
      identity_verified_at: new Date(),
      card_no_enc: null,
      card_last4: null,
      card_bank_name: null,
      card_verified_at: null,
    });
  }

  /** Step licence (enterprises): a PNG or JPEG of at most 2 MB, told by its first bytes; again replaces it. */
  async uploadImage(
    token: string,
    kind: ImageKind,
    bytes: Buffer,
  ): Promise<{ kind: ImageKind; size: number }> {
    const link = await this.requireOpen(token);
    await this.requireBefore(link, 'licence');
    if (link.type !== 'enterprise') {
      throw new AppError('ONBOARDING_STEP_ORDER', 'licence images are for enterprise members', {
        step: 'phone',
      });
    }
    const contentType = sniffImage(bytes);
    await links.upsertImage(this.db, {
      linkId: link.id,
      kind,
      contentType,
      content: bytes,
      sha256: createHash('sha256').update(bytes).digest('hex'),
    });
    await this.save(link, {});
    return { kind, size: bytes.length };
  }

  /** Step phone: sends a code (one a minute, ten per link; the routes also limit each address). */
  async sendCode(token: string, phone: string): Promise<{ resendAfterSeconds: number }> {
    const link = await this.requireOpen(token);
    await this.requireBefore(link, 'phone');
    requirePhone(phone);
    const age = link.code_sent_at ? (Date.now() - link.code_sent_at.getTime()) / 1000 : null;
    if ((age !== null && age < CODE_INTERVAL_SECONDS) || link.codes_sent >= CODES_PER_LINK) {
      const wait =
        age !== null && age < CODE_INTERVAL_SECONDS ? Math.ceil(CODE_INTERVAL_SECONDS - age) : null;
      throw new AppError('RATE_LIMITED', 'too many codes requested; wait before asking again', {
        retryAfterSeconds: wait ?? CODE_TTL_SECONDS,
      });
    }
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    await this.save(link, {
      code_phone: phone,
      code_hash: hashOf(`${link.id}:${phone}:${code}`),
      code_attempts: 0,
      code_expires_at: new Date(Date.now() + CODE_TTL_SECONDS * 1000),
      code_sent_at: new Date(),
      codes_sent: link.codes_sent + 1,
    });
    const { mailer } = this.deps;
    const oneTime = { code, minutes: CODE_TTL_SECONDS / 60, username: phone };
    // The messages go out in the background; their failures are logged by the mailer.
    const ignore = () => {};
    if (mailer.sendSms) void mailer.sendSms(phone, oneTime).catch(ignore);
    // The embedded demo has no SMS provider: the code goes to the log, as the first login's does.
    if (mailer.logsInstead) {
      void mailer
        .send('', '青云支付 会员签约验证码', `member onboarding ${link.link_no} ${phone} code: ${code}`)
        .catch(ignore);
    }
    return { resendAfterSeconds: CODE_INTERVAL_SECONDS };
  }

  /** Checks the code (five guesses per code); a right one binds the phone to the link. */
  async verifyCode(token: string, phone: string, code: string): Promise<LinkRow> {
    const open = await this.requireOpen(token);
    requirePhone(phone);
    const link = await links.takeCodeAttempt(this.db, open.id, CODE_MAX_ATTEMPTS);
    if (!link || link.code_phone !== phone) {
      throw new AppError('MEMBER_LOGIN_CODE_EXPIRED', 'no live code for this phone: request a new one');
    }
    if (!safeEqual(link.code_hash!, hashOf(`${link.id}:${phone}:${code.trim()}`))) {
      throw new AppError('MEMBER_LOGIN_CODE_INVALID', 'the code is wrong', { field: 'code' });
    }
    return this.save(link, { phone, phone_verified_at: new Date(), code_hash: null });
  }

  /**
   * Step card (optional): the card's four elements (the member's name and ID number or credit code,
   * the card number, the phone just proven) through the verifier; MEMBER_VERIFY_FAILED and nothing
   * saved when they do not match. The card is bound to the member when it signs.
   */
  async card(token: string, input: { accountNo: string; bankName: string }): Promise<LinkRow> {
    const link = await this.requireOpen(token);
    await this.requireBefore(link, 'card');
    const accountNo = input.accountNo.replace(/\s+/g, '');
    if (!ACCOUNT_NO.test(accountNo)) {
      throw new AppError('INVALID_REQUEST', 'accountNo: 12–30 digits', { field: 'accountNo' });
    }
    const idNo = this.open(link, 'id_no_enc')!;
    const verdict = await this.deps.members.verifier.verifyBankCard(link.name!, idNo, accountNo, link.phone!);
    if (!verdict.ok) throw verifyFailed(verdict.reason, 'accountNo');
    return this.save(link, {
      card_no_enc: this.deps.secrets.encrypt(accountNo, sealedAt(link.id, 'card_no_enc')),
      card_last4: accountNo.slice(-4),
      card_bank_name: input.bankName.trim(),
      card_verified_at: new Date(),
      card_skipped_at: null,
    });
  }

  async skipCard(token: string): Promise<LinkRow> {
    const link = await this.requireOpen(token);
    await this.requireBefore(link, 'card');
    return this.save(link, { card_skipped_at: new Date() });
  }

  /**
   * Step agreement: opens the member (idempotent on its bizUserId, so a retry after a lost answer
   * finds the same one), with the agreement signed 'self_service', verified and active, binds the
   * checked card, and completes the link.
   */
  async sign(token: string): Promise<{ link: LinkRow; member: MemberRow }> {
    const link = await this.requireOpen(token);
    await this.requireBefore(link, 'agreement');
    const { members } = this.deps;
    const { member } = await members.create(
      { merchantId: link.merchant_id, appDbId: link.app_id },
      {
        bizUserId: link.preset_biz_user_id ?? link.link_no,
        type: link.type!,
        name: link.name!,
        phone: link.phone!,
        idNo: this.open(link, 'id_no_enc')!,
        legalPersonName: link.legal_person_name ?? undefined,
      },
      { source: 'self_service', via: 'self_service' },
    );
    // The verifier passed the identity at the first step: the member is verified and active at once.
    await queries.transition(this.db, member.id, ['created'], 'verified');
    const active = (await queries.transition(this.db, member.id, ['verified'], 'active')) ?? member;
    const cardNo = this.open(link, 'card_no_enc');
    if (cardNo) {
      const cards = await this.deps.cards.list(memberOwner(member.id));
      if (!cards.some((c) => c.account_last4 === cardNo.slice(-4))) {
        await this.deps.cards.bind(
          memberOwner(member.id),
          {
            holderName: link.name!,
            accountNo: cardNo,
            bankName: link.card_bank_name!,
            cardType: link.type === 'enterprise' ? 'corporate' : 'personal',
          },
          { review: false, userId: null },
        );
      }
    }
    const completed = await links.completeLink(this.db, link.id, member.id);
    if (!completed) throw closedError(await this.reread(link));
    return { link: completed, member: active };
  }

  private open(link: LinkRow, column: 'id_no_enc' | 'legal_id_no_enc' | 'card_no_enc'): string | null {
    const sealed = link[column];
    return sealed ? this.deps.secrets.decrypt(sealed, sealedAt(link.id, column)) : null;
  }
}

/** The state the link is in now: an open link past its time is expired. */
export function stateOf(link: LinkRow, now = new Date()): LinkState {
  return link.state === 'open' && link.expires_at <= now ? 'expired' : link.state;
}

/** The first step not done yet (agreement when only signing is left; null once completed). */
export function nextStep(done: Record<Step, boolean>): Step | null {
  return STEPS.find((s) => !done[s]) ?? null;
}

function closedError(link: LinkRow): AppError {
  switch (stateOf(link)) {
    case 'completed':
      return new AppError('ONBOARDING_LINK_COMPLETED', 'this signing link has been used: the member is open');
    case 'revoked':
      return new AppError('ONBOARDING_LINK_REVOKED', 'the merchant revoked this signing link');
    case 'expired':
      return new AppError('ONBOARDING_LINK_EXPIRED', 'this signing link has expired', {
        expiresAt: link.expires_at.toISOString(),
      });
    default:
      return new AppError('ONBOARDING_LINK_REVOKED', 'this signing link can no longer be used');
  }
}

function verifyFailed(reason: string | null, field: string): AppError {
  return new AppError('MEMBER_VERIFY_FAILED', reason ?? 'the real-name check failed', { reason, field });
}

function checkIdentity(
  input: IdentityInput,
  presetType: MemberType | null,
): Required<IdentityInput> | IdentityInput {
  const clean: IdentityInput = {
    type: input.type,
    name: input.name.trim(),
    idNo: input.idNo.trim().toUpperCase(),
    legalPersonName: input.legalPersonName?.trim() || undefined,
    legalPersonIdNo: input.legalPersonIdNo?.trim().toUpperCase() || undefined,
  };
  if (presetType && clean.type !== presetType) {
    throw new AppError('INVALID_REQUEST', `the merchant asked for a ${presetType} member`, { field: 'type' });
  }
  if (clean.name.length === 0 || clean.name.length > 100) {
    throw new AppError('INVALID_REQUEST', 'name: 1–100 characters', { field: 'name' });
  }
  if (clean.type === 'personal') {
    if (!PERSON_ID.test(clean.idNo)) {
      throw new AppError('INVALID_REQUEST', 'idNo: 18 characters, digits and a last X', { field: 'idNo' });
    }
    return { ...clean, legalPersonName: undefined, legalPersonIdNo: undefined };
  }
  if (!CREDIT_CODE.test(clean.idNo)) {
    throw new AppError('INVALID_REQUEST', 'idNo: a unified social credit code, 18 characters', {
      field: 'idNo',
    });
  }
  if (!clean.legalPersonName || clean.legalPersonName.length > 100) {
    throw new AppError('INVALID_REQUEST', 'an enterprise needs its legal person’s name', {
      field: 'legalPersonName',
    });
  }
  if (!clean.legalPersonIdNo || !PERSON_ID.test(clean.legalPersonIdNo)) {
    throw new AppError('INVALID_REQUEST', 'legalPersonIdNo: 18 characters, digits and a last X', {
      field: 'legalPersonIdNo',
    });
  }
  return clean;
}

/** The image's type by its first bytes, never by its name or the type the client claims. */
export function sniffImage(bytes: Buffer): 'image/png' | 'image/jpeg' {
  if (bytes.length > MAX_IMAGE_BYTES) {
    throw new AppError('FILE_TOO_LARGE', `an image may be at most ${MAX_IMAGE_BYTES} bytes`, {
      maxBytes: MAX_IMAGE_BYTES,
    });
  }
  const found =
    bytes.length > 0 ? SIGNATURES.find((s) => s.bytes.every((b, i) => bytes[i] === b)) : undefined;
  if (!found) {
    throw new AppError('FILE_TYPE_NOT_ALLOWED', 'an image must be a PNG or JPEG file', {
      allowed: 'jpeg, png',
    });
  }
  return found.type;
}

function requirePhone(phone: string): void {
  if (!PHONE.test(phone)) {
    throw new AppError('INVALID_REQUEST', 'phone: a mainland mobile number, 11 digits', { field: 'phone' });
  }
}

function hashOf(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

function safeEqual(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

// ---------- views ----------

/** The link as the merchant's list shows it: never the token (only its hash is kept). */
export function linkView(
  link: LinkRow,
  extra: { appId: string | null; appName: string | null; memberNo: string | null; images: links.ImageRow[] },
  now = new Date(),
) {
  const state = stateOf(link, now);
  return {
    linkNo: link.link_no,
    appId: extra.appId,
    appName: extra.appName,
    state,
    expiresAt: link.expires_at.toISOString(),
    remainingSeconds:
      state === 'open' ? Math.max(0, Math.floor((link.expires_at.getTime() - now.getTime()) / 1000)) : 0,
    preset: {
      bizUserId: link.preset_biz_user_id,
      type: link.preset_type,
      name: link.preset_name,
      phoneMasked: maskPhone(link.preset_phone),
    },
    type: link.type,
    name: link.name,
    progress: {
      identity: link.identity_verified_at !== null,
      licence: extra.images.some((i) => i.kind === 'licence'),
      phone: link.phone_verified_at !== null,
      card: link.card_verified_at ? 'bound' : link.card_skipped_at ? 'skipped' : null,
    },
    images: extra.images.map((i) => ({ kind: i.kind, contentType: i.content_type, size: Number(i.size) })),
    memberNo: extra.memberNo,
    createdAt: link.created_at.toISOString(),
    completedAt: link.completed_at?.toISOString() ?? null,
    revokedAt: link.revoked_at?.toISOString() ?? null,
  };
}
