/**
 * A refusal with a stable code. Domain code throws these; the HTTP layer turns them into the
 * `{ code, message, requestId }` envelope with the status below. Never an HTTP exception in a domain.
 */
export const ERROR_STATUS = {
  INVALID_REQUEST: 400,
  AMOUNT_OUT_OF_RANGE: 400,
  CURRENCY_MISMATCH: 400,
  RATE_RULE_VIOLATION: 400,
  /** A test account (the sandbox) bound in production without the operator's explicit allowTestAccount. */
  TEST_ACCOUNT_BINDING: 409,
  SIGNATURE_MISSING: 401,
  SIGNATURE_INVALID: 401,
  TIMESTAMP_EXPIRED: 401,
  NONCE_REUSED: 401,
  UNAUTHENTICATED: 401,
  LOGIN_FAILED: 401,
  TOTP_INVALID: 401,
  ACCOUNT_LOCKED: 423,
  PASSWORD_TOO_WEAK: 400,
  PASSWORD_REUSED: 400,
  ORIGIN_REFUSED: 403,
  CSRF_INVALID: 403,
  STAGE_REQUIRED: 403,
  COMPLETION_PASSWORD_INVALID: 403,
  COMPLETION_PASSWORD_NOT_SET: 409,
  ROLE_IN_USE: 409,
  MERCHANT_DISABLED: 403,
  APP_DISABLED: 403,
  /** The app is in the recycle bin (an operator deleted it; it may be restored). */
  APP_DELETED: 403,
  /** The merchant is in the recycle bin: its apps and logins stop until it is restored. */
  MERCHANT_DELETED: 403,
  /** The recycle bin refuses a delete, restore or purge (details.reason). */
  RECYCLE_REFUSED: 409,
  SIGN_TYPE_NOT_ALLOWED: 403,
  IP_NOT_ALLOWED: 403,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  PRODUCT_NOT_FOUND: 404,
  PRODUCT_NOT_AVAILABLE: 403,
  IDEMPOTENCY_CONFLICT: 409,
  ALREADY_EXISTS: 409,
  ORDER_STATE_INVALID: 409,
  INSUFFICIENT_BALANCE: 409,
  /** The merchant's funds are settled by the channel (`direct` mode): the platform holds nothing to withdraw or pay out. */
  SETTLEMENT_MODE: 409,
  /** No member with this bizUserId (or member number) in the app (or merchant). */
  MEMBER_NOT_FOUND: 404,
  /** The member's state does not allow this (frozen or closed members receive and pay out nothing). */
  MEMBER_STATE: 409,
  /** The app already has a member with this bizUserId, opened with other data. */
  MEMBER_EXISTS: 409,
  /** The real-name check (name and ID number) or the bank card's four elements did not pass. */
  MEMBER_VERIFY_FAILED: 422,
  /** An SMS code (member portal first login, signing link) is wrong (attempts are counted). */
  MEMBER_LOGIN_CODE_INVALID: 400,
  /** No live SMS code (expired, used up, never sent), or the first login's setup step expired. */
  MEMBER_LOGIN_CODE_EXPIRED: 400,
  /** The member already has a portal login (one login per member). */
  MEMBER_LOGIN_EXISTS: 409,
  /** No signing link with this token (or, in the portal, this number for the merchant). */
  ONBOARDING_LINK_NOT_FOUND: 404,
  /** The signing link is past its seven days: the merchant creates a new one. */
  ONBOARDING_LINK_EXPIRED: 410,
  /** The merchant revoked the signing link. */
  ONBOARDING_LINK_REVOKED: 410,
  /** The signing link was used: the member is open. */
  ONBOARDING_LINK_COMPLETED: 409,
  /** A step of the signing link before this one is not done yet (details.step names it). */
  ONBOARDING_STEP_ORDER: 409,
  /**
   * A member import file cannot be read as a whole (details.reason: `unreadable` neither CSV nor
   * XLSX; `no_rows` no data row; `missing_column` a required column's header is absent, details.column;
   * `too_many_rows` more than details.maxRows data rows).
   */
  IMPORT_FILE_INVALID: 400,
  /** A member import batch is not in the state this step needs (submit a draft, review a submitted batch). */
  IMPORT_BATCH_STATE: 409,
  /** A member import batch without one valid row cannot be submitted. */
  IMPORT_NOTHING_VALID: 409,
  // The findings on one row of a member import file (its validation report and result file);
  // never an answer to a request on their own.
  /** A required cell is empty (details.field). */
  IMPORT_FIELD_MISSING: 422,
  /** The external member ID is not 1–64 letters, digits, _ - . @. */
  IMPORT_BIZ_USER_ID_INVALID: 422,
  /** The member type is neither 个人 nor 企业. */
  IMPORT_MEMBER_TYPE_INVALID: 422,
  /** The name is longer than 100 characters. */
  IMPORT_NAME_INVALID: 422,
  /** A phone (mobile or the card's reserved phone) is not a mainland mobile number. */
  IMPORT_PHONE_INVALID: 422,
  /** The resident ID number's or the unified social credit code's check character is wrong. */
  IMPORT_ID_NO_INVALID: 422,
  /** A personal member has a legal person. */
  IMPORT_LEGAL_PERSON_INVALID: 422,
  /** The external member ID appears on an earlier row of the same file. */
  IMPORT_DUPLICATE_IN_FILE: 422,
  /** The app already has a member with this external member ID. */
  IMPORT_MEMBER_EXISTS: 422,
  /** The card number fails its check digit (Luhn) or its length. */
  IMPORT_CARD_NO_INVALID: 422,
  /** The marketplace makes this member's withdrawals (withdraw mode platform): not the member in its portal. */
  MEMBER_WITHDRAW_BY_PLATFORM: 403,
  /** A split rule's number not found for this merchant (another merchant's rule included). */
  SPLIT_RULE_NOT_FOUND: 404,
  /** The split rule is disabled, or belongs to another app than the order's. */
  SPLIT_RULE_STATE: 409,
  /** A member party of the order's split rule has not signed its commission agreement (details.memberNo). */
  SPLIT_AGREEMENT_UNSIGNED: 409,
  /** The commission agreement changed since the member read it, or it is no longer to be signed. */
  SPLIT_AGREEMENT_CHANGED: 409,
  /** The commissions of a split leave less than nothing for the receiver. */
  SPLIT_EXCEEDS_AMOUNT: 400,
  /** A refund would take back a member's share that has already left the member's account. */
  SPLIT_REFUND_INSUFFICIENT: 409,
  /** The order has no escrow, or its held amount cannot take this confirmation. */
  ESCROW_STATE: 409,
  /** A withdrawal outside the allowed time of day. */
  OUTSIDE_WITHDRAWAL_WINDOW: 409,
  /** The day's count or amount of withdrawals (or payouts) is used up (details.kind: count | amount). */
  DAILY_LIMIT_REACHED: 409,
  /** A withdrawal with no active settlement bank card to pay to. */
  NO_BANK_CARD: 409,
  /** A withdrawal or payout that is not in the state the action needs (details.state). */
  WITHDRAWAL_STATE_INVALID: 409,
  PAYOUT_STATE_INVALID: 409,
  /** No channel account that makes payouts is enabled. */
  NO_PAYOUT_CHANNEL: 422,
  REFUND_AMOUNT_EXCEEDED: 409,
  /** An onboarding application that is not in the state the action needs (details.state). */
  APPLICATION_STATE_INVALID: 409,
  /** A number of the application is on the blacklist (details: field, kind, entryId). */
  BLACKLIST_HIT: 409,
  /** An application submitted without the documents its merchant type needs (details.kinds). */
  DOCUMENTS_MISSING: 400,
  /** An uploaded document that is not a JPEG, PNG or PDF by its first bytes. */
  FILE_TYPE_NOT_ALLOWED: 415,
  /** An uploaded document above the size limit (details.maxBytes). */
  FILE_TOO_LARGE: 413,
  /** A reconciliation of this channel account and day is running (another worker or operator). */
  RECONCILIATION_RUNNING: 409,
  /** A reconciliation item that is not in the class or state the action needs (details: class, resolution). */
  RECONCILIATION_ITEM_STATE_INVALID: 409,
  /** An alert (or an order's alert) not in a state the action needs: acknowledged or resolved already (details.state). */
  ALERT_STATE_INVALID: 409,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  NOTIFY_AMOUNT_MISMATCH: 400,
  NOTIFY_CURRENCY_MISMATCH: 400,
  NOTIFY_ACCOUNT_MISMATCH: 400,
  NOTIFY_UNVERIFIED: 400,
  NO_CHANNEL_AVAILABLE: 422,
  RATE_LIMITED: 429,
  CHANNEL_ERROR: 502,
  /** The Telegram Bot API refused or could not be reached (details.reason: BOT_API_ERROR reasons). */
  BOT_API_ERROR: 502,
  /** The database cannot be reached (restart, failover): retry after the Retry-After seconds. */
  DATABASE_UNAVAILABLE: 503,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/*
 * The stable words the consoles translate. A console shows a sentence per error code; where one
 * code covers several causes, `details` names the cause with one of the values below, and the
 * consoles have one sentence per value (test/console-error-messages.test.ts walks these lists).
 * The English `message` is for logs and API clients, never shown as the sentence.
 */

/** `details.reason` per code, where one code covers several causes. */
export const ERROR_REASONS = {
  /** A password check inside a session: the current password (change password) or the login password (turning off 2FA). */
  LOGIN_FAILED: ['current_password', 'password'],
  /**
   * `no_cost_rate`: the channel account has no cost rate for the product (set one before binding).
   * `merchant_below_cost`: a merchant's rate is below a bound account's cost; `cost_above_merchant`:
   * an account's cost is above a merchant's rate (details: component, merchant, channel, currency).
   * `agent_chain`: a part breaks channel cost ≤ top agent ≤ … ≤ direct agent ≤ merchant (details:
   * level set — agent | merchant | channel, agentNo, productCode, channelAccountId, component, currency,
   * lower — the level above's part, upper — the level below's; agents/service.ts).
   */
  RATE_RULE_VIOLATION: ['no_cost_rate', 'merchant_below_cost', 'cost_above_merchant', 'agent_chain'],
  /**
   * `number_too_short`: a number search with fewer trailing digits than `minDigits` (orders/number-search.ts).
   * `export_too_large`: an export would have more rows than `limit` (settlement/routes.ts).
   * `pay_way_unsupported`: the channel account's adapter cannot serve the product's pay way
   * (details: payWay, adapter; catalog upsertBinding). `required`: the order's way needs a field the
   * request lacks (details.field `extra.authCode` for a pay-code way, `extra.openid` for WX_JSAPI).
   * `agent_cycle`: a move would put an agent under itself or its own subtree; `agent_depth`: an agent
   * would sit deeper than the `agents.maxDepth` setting (details.maxDepth).
   * `statement_not_ready`: a merchant's statement of a day or month that has not ended yet in the
   * platform's time zone (details.period; statements/service.ts).
   * Settings (settings/platform.ts, catalog's product timeout): `out_of_range` a number outside
   * `min`–`max` (details.field); `order_number_prefix` not 1–6 capitals and digits starting with a
   * letter; `order_number_digits` fewer than `minDigits` sequence and random digits;
   * `order_number_too_long` longer than `maxLength`; `notify_schedule_too_long` waits adding up to
   * more than `maxDays`; `logo_not_image` not a PNG, JPEG or WebP; `logo_too_large` over `maxKb`.
   * `bot_not_configured`: a bot action (a test message) before the bot token is set (bot/service.ts).
   * `unknown_variable`: a notification template uses a `{variable}` its event does not have
   * (details: part — subject | body, variable, allowed; notifications/templates.ts).
   */
  INVALID_REQUEST: [
    'number_too_short',
    'export_too_large',
    'pay_way_unsupported',
    'required',
    'agent_cycle',
    'agent_depth',
    'statement_not_ready',
    'degraded_below_open',
    'out_of_range',
    'order_number_prefix',
    'order_number_digits',
    'order_number_too_long',
    'notify_schedule_too_long',
    'logo_not_image',
    'logo_too_large',
    'bot_not_configured',
    'unknown_variable',
  ],
  /** `unbound`: the product has no channel account bound at all (details: productCode). */
  NO_CHANNEL_AVAILABLE: ['unbound'],
  /**
   * The recycle bin (recycle/service.ts). `has_money`: orders, ledger entries, withdrawals or payouts
   * refer to it, so it is never purged (it stays deleted and hidden); `in_use`: other records still
   * refer to it (details.table); `parent_deleted`: what it belongs to is in the bin (details.type,
   * details.key: restore that first); `own_login`: an operator cannot delete the login they use.
   */
  RECYCLE_REFUSED: ['has_money', 'in_use', 'parent_deleted', 'own_login'],
  /**
   * The Bot API (bot/telegram.ts): `unauthorized` the token is wrong or revoked; `chat_unavailable`
   * the group is gone or the bot was removed from it; `unreachable` no answer; `refused` another refusal.
   */
  BOT_API_ERROR: ['unauthorized', 'chat_unavailable', 'unreachable', 'refused'],
  /** See ERROR_STATUS.IMPORT_FILE_INVALID. */
  IMPORT_FILE_INVALID: ['unreadable', 'no_rows', 'missing_column', 'too_many_rows'],
} as const satisfies Partial<Record<ErrorCode, readonly string[]>>;

/**
 * `details.field` of INVALID_REQUEST: the request field that is wrong, for the fields people fill
 * in on the consoles (the consoles name each; another field gets the general sentence). Set for
 * every schema validation failure (app/http.ts) and by the domain checks that concern one field.
 */
export const INVALID_REQUEST_FIELDS = [
  'amount',
  'authCode',
  'code',
  'name',
  'shortName',
  'displayName',
  'contact',
  'username',
  'password',
  'newPassword',
  'currentPassword',
  'email',
  'subject',
  'remark',
  'reason',
  'notifyUrl',
  'returnUrl',
  'ipAllowlist',
  'merchantPublicKey',
  'acceptedSignType',
  'notifySignType',
  'adapterCode',
  'productCode',
  'productCodes',
  'permissions',
  'roleId',
  'credentials',
  'config',
  'ratePpm',
  'fixedFee',
  'minimumFee',
  'defaultRatePpm',
  'costRatePpm',
  'fixedCost',
  'minimumCost',
  'minAmount',
  'maxAmount',
  'dailyLimit',
  'weight',
  'priority',
  'windowStart',
  'windowEnd',
  'channelAccountId',
  'currency',
  'mchNo',
  'mchOrderNo',
  'orderNo',
  'state',
  'from',
  'to',
  'holderName',
  'accountNo',
  'idNo',
  'legalPersonName',
  'legalPersonIdNo',
  'bankName',
  'bankBranch',
  'cardType',
  'cardId',
  'totpCode',
  'mchWithdrawNo',
  'feeRatePpm',
  'dailyCount',
  'dailyAmount',
  'reviewThreshold',
  'keepBalance',
  'time',
  'withdrawNos',
  'orderNos',
  'retentionDays',
  'payWay',
  'openid',
  'merchantType',
  'merchantName',
  'legalName',
  'idNumber',
  'licenceNo',
  'contactName',
  'phone',
  'businessCategory',
  'cardHolder',
  'cardNo',
  'rates',
  'agentNo',
  'note',
  'kind',
  'value',
  'content',
  'expireSeconds',
  'prefix',
  'datePart',
  'sequenceDigits',
  'randomDigits',
  'scheduleSeconds',
  'idleMinutes',
  'maxHours',
  'operatorMinLength',
  'otherMinLength',
  'history',
  'expiryDays',
  'siteName',
  'logo',
  'token',
  'apiBaseUrl',
  'language',
  'allowedUserIds',
  'largePaymentThreshold',
  'address',
  'body',
] as const;

/**
 * A channel account's connection test that failed (`code` of POST
 * /api/admin/channel-accounts/:id/test-connection): the consoles say each in words.
 */
export const CONNECTION_TEST_CODES = [
  'CHANNEL_UNREACHABLE',
  'CHANNEL_TIMEOUT',
  'CHANNEL_BAD_SIGNATURE',
  'CHANNEL_AUTH_FAILED',
  'CHANNEL_BAD_RESPONSE',
  'INVALID_CREDENTIALS',
] as const;

/** The field a schema issue concerns: its last named path segment (`rates.0.costRatePpm` → costRatePpm). */
export function fieldOfPath(path: readonly (string | number)[] | string): string | undefined {
  const parts = typeof path === 'string' ? path.split(/[./]/) : path.map(String);
  return parts.filter((p) => p !== '' && !/^\d+$/.test(p)).at(-1);
}

/** `details.kind` of ALREADY_EXISTS: what exists already (with `details.name`, the taken name). */
export const ALREADY_EXISTS_KINDS = [
  'product',
  'channel',
  'role',
  'user',
  'blacklist_entry',
  'login_phone',
] as const;
export type AlreadyExistsKind = (typeof ALREADY_EXISTS_KINDS)[number];

/**
 * `failure.reason` of a failed order: why it failed, in words a console translates. `failure.code`
 * stays what the channel said (e.g. the wallet's BALANCE_NOT_ENOUGH).
 */
export const ORDER_FAILURE_REASONS = [
  /** The customer's wallet declined a scanned pay code (balance, limit, used or expired code). */
  'declined',
  /** The channel checked the request and opened nothing. */
  'refused',
  /** The channel did not answer in time. */
  'timeout',
  /** The channel could not be reached. */
  'unreachable',
  /** The channel's answer could not be understood. */
  'bad_response',
  /** The channel's answer failed its signature check. */
  'bad_signature',
  /** The channel account's credentials are incomplete or wrong. */
  'credentials',
  /** The channel account's settings are invalid. */
  'config',
  /** No channel account could take the order. */
  'no_channel',
  /** The channel reported the payment as failed. */
  'failed',
] as const;
export type OrderFailureReason = (typeof ORDER_FAILURE_REASONS)[number];

/** Failure codes the platform itself gives a failed order, and their reason; anything else is the channel's refusal. */
const ORDER_FAILURE_CODES: Record<string, OrderFailureReason> = {
  CHANNEL_TIMEOUT: 'timeout',
  CHANNEL_UNREACHABLE: 'unreachable',
  CHANNEL_BAD_RESPONSE: 'bad_response',
  CHANNEL_BAD_SIGNATURE: 'bad_signature',
  INVALID_CREDENTIALS: 'credentials',
  INVALID_CONFIG: 'config',
  NO_CHANNEL_AVAILABLE: 'no_channel',
  /** Every account left was resting behind an open circuit (channels/gateway.ts). */
  CIRCUIT_OPEN: 'no_channel',
  PAYMENT_FAILED: 'failed',
};

/** The reason of an order's failure code, for orders failed before the reason was stored. */
export function orderFailureReasonOf(code: string): OrderFailureReason {
  return Object.hasOwn(ORDER_FAILURE_CODES, code) ? ORDER_FAILURE_CODES[code]! : 'refused';
}

/** Why a channel's notify was refused (`errorCode` of a recorded channel notify, orders/confirm.ts). */
export const CHANNEL_NOTIFY_ERRORS = [
  'UNKNOWN_CHANNEL_ACCOUNT',
  'NOTIFY_WRONG_KIND',
  'NOTIFY_SIGNATURE_INVALID',
  'NOTIFY_MALFORMED',
  'NOTIFY_WRONG_ACCOUNT',
  'NOTIFY_ACCOUNT_MISMATCH',
  'NOTIFY_CURRENCY_MISMATCH',
  'NOTIFY_AMOUNT_MISMATCH',
] as const;

/**
 * The kind of a failed merchant notify attempt: which step of the delivery failed. The raw error
 * text is kept beside it for the technical details.
 */
export const DELIVERY_FAILURE_KINDS = [
  /** The notify URL's host name does not resolve. */
  'dns',
  /** The host refused the connection (nothing listens on that port). */
  'refused',
  /** The connection was reset or closed before an answer. */
  'reset',
  /** The merchant's server did not answer in time. */
  'timeout',
  /** The TLS handshake failed (certificate expired, self-signed, wrong host …). */
  'tls',
  /** The URL points to a private or local address, which notifies may not reach. */
  'private_address',
  /** The merchant's server answered with an HTTP status other than 2xx. */
  'http_status',
  /** The merchant's server answered 2xx but not the agreed acknowledgement. */
  'invalid_answer',
  /** The platform could not prepare the notify (its app is gone). */
  'not_sent',
  /** Any other network failure. */
  'network',
] as const;
export type DeliveryFailureKind = (typeof DELIVERY_FAILURE_KINDS)[number];

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.details = details;
  }
}

export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === '23505';
}
