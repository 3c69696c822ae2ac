/**
 * What the OpenAPI document needs beyond what the routes declare (their params, query and bodies):
 * the security of every operation, an operationId, the error envelope on every operation, and for
 * the merchant API (`/api/v1`) its answers, errors and examples. Applied to the whole document once
 * @fastify/swagger has built it (`transformObject`), so the routes stay as they are and the runtime is
 * untouched. The answer schemas are zod, so `test/openapi-merchant.test.ts` checks real answers
 * against them and the document cannot drift from the API unnoticed.
 */
import { z } from 'zod';
import { ERROR_STATUS, type ErrorCode } from '../errors.ts';

type Json = Record<string, unknown>;

const ERROR_CODES = Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]];
const time = z.string().describe('ISO 8601 time, UTC (2026-12-05T06:30:00.000Z)');
const fen = (what: string) => z.number().int().describe(`${what}, in minor units (fen: 1234 = ¥12.34)`);

export const ErrorEnvelope = z
  .object({
    code: z.enum(ERROR_CODES).describe('Stable error code: what a program branches on'),
    message: z.string().describe('Words for logs and developers; never parse them'),
    requestId: z.string().describe('Quote it when asking about a request'),
    details: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('The cause, where one code covers several: reason, field, kind, limits'),
  })
  .strict();

const Failure = z.object({ code: z.string(), message: z.string() }).strict();

export const OrderSchema = z
  .object({
    orderNo: z.string().describe("The platform's order number"),
    mchOrderNo: z.string().describe('Your order number (unique per app; the idempotency key)'),
    productCode: z.string(),
    state: z.enum(['created', 'paying', 'paid', 'failed', 'closed', 'partially_refunded', 'refunded']),
    amount: fen('The amount'),
    currency: z.string(),
    fee: fen("The platform's fee"),
    refundedAmount: fen('Refunded or being refunded (pending refunds included)'),
    subject: z.string(),
    cashierUrl: z.string().describe('The hosted cashier page for the payer; use it as given'),
    payData: z
      .object({
        type: z.enum(['qr', 'url', 'form', 'none']),
        value: z.string(),
      })
      .strict()
      .nullable()
      .describe('How the payer pays: a QR code to show, a URL to open, a form to post'),
    channelOrderNo: z.string().nullable(),
    paidAt: time.nullable(),
    closedAt: time.nullable(),
    expiresAt: time,
    createdAt: time,
    failure: Failure.extend({
      reason: z.string().describe('declined, refused, timeout, unreachable …'),
    })
      .nullable()
      .describe('Why the order failed'),
    extra: z.record(z.string(), z.unknown()).nullable().describe('Your own data, echoed back'),
  })
  .strict();

export const RefundSchema = z
  .object({
    refundNo: z.string(),
    mchRefundNo: z.string(),
    orderNo: z.string(),
    mchOrderNo: z.string(),
    state: z.enum(['pending', 'succeeded', 'failed']),
    amount: fen('The refunded amount'),
    currency: z.string(),
    feeRefund: fen("The part of the order's fee given back"),
    reason: z.string().nullable(),
    channelRefundNo: z.string().nullable(),
    createdAt: time,
    succeededAt: time.nullable(),
    failedAt: time.nullable(),
    failure: Failure.nullable(),
  })
  .strict();

export const BalanceSchema = z
  .object({
    currency: z.string(),
    mode: z.enum(['platform', 'direct']),
    pending: fen('Paid, not yet settled'),
    available: fen('Settled: may be withdrawn or paid out'),
    frozen: fen('Held by a withdrawal or payout in progress'),
    reserved: fen('Risk reserve held'),
    settledByChannel: fen('Direct mode only: what the channel settles to the merchant').optional(),
  })
  .strict();

export const WithdrawalSchema = z
  .object({
    withdrawNo: z.string(),
    mchWithdrawNo: z.string().nullable(),
    state: z.enum(['reviewing', 'approved', 'submitted', 'succeeded', 'failed', 'rejected']),
    amount: fen('Leaving the available balance'),
    fee: fen('The withdrawal fee'),
    arrivalAmount: fen('amount − fee: what reaches the card'),
    currency: z.string(),
    card: z.object({ bankName: z.string(), accountNoMasked: z.string() }).strict(),
    reason: z.string().nullable().describe('Why it was rejected or failed'),
    createdAt: time,
    reviewedAt: time.nullable(),
    submittedAt: time.nullable(),
    paidAt: time.nullable(),
    failedAt: time.nullable(),
  })
  .strict();

export const PayoutSchema = z
  .object({
    payoutNo: z.string(),
    mchPayoutNo: z.string().nullable(),
    state: z.enum(['pending', 'submitted', 'succeeded', 'failed']),
    amount: fen('Paid to the payee'),
    fee: fen('The payout fee (amount + fee leaves the available balance)'),
    currency: z.string(),
    payee: z.object({ name: z.string(), accountNoMasked: z.string(), bankName: z.string() }).strict(),
    reason: z.string().nullable(),
    createdAt: time,
    submittedAt: time.nullable(),
    paidAt: time.nullable(),
    failedAt: time.nullable(),
  })
  .strict();

const MemberBalances = z
  .object({
    pending: fen('待结算户: split shares and recharges not yet settled'),
    available: fen('簿记账户: settled, may be transferred or withdrawn'),
    frozen: fen('Held by open withdrawals'),
  })
  .strict();

export const MemberSchema = z
  .object({
    memberNo: z.string().describe('Our number of the member (M + digits)'),
    bizUserId: z.string().describe("The merchant's own user id"),
    type: z.enum(['personal', 'enterprise']),
    name: z.string(),
    phoneMasked: z.string().nullable(),
    idNoMasked: z.string().nullable().describe('The ID number or credit code: only its last four digits'),
    legalPersonName: z.string().nullable(),
    state: z.enum(['created', 'verified', 'active', 'frozen', 'closed']),
    source: z.enum(['api', 'portal', 'self_service', 'import']),
    realNameVerified: z.boolean(),
    createdAt: time,
    balances: MemberBalances.optional(),
  })
  .strict();

export const MemberCardSchema = z
  .object({
    id: z.string(),
    holderName: z.string(),
    accountNoMasked: z.string(),
    bankName: z.string(),
    bankBranch: z.string(),
    cardType: z.enum(['personal', 'corporate']),
    state: z.enum(['active', 'pending_review', 'rejected']),
    isDefault: z.boolean(),
    createdAt: time,
    reviewReason: z.string().nullable(),
  })
  .strict();

export const MemberCardsSchema = z.object({ items: z.array(MemberCardSchema) }).strict();

export const MemberEntriesSchema = z
  .object({
    items: z.array(
      z
        .object({
          id: z.string(),
          at: time,
          account: z.enum(['pending', 'available', 'frozen']),
          type: z.string().describe('What moved it: member_transfer, withdrawal_freeze, payout_paid, …'),
          reference: z.string(),
          amount: fen('Signed: + in, − out'),
          balanceAfter: fen("The account's balance after the entry"),
        })
        .strict(),
    ),
    nextCursor: z.string().nullable().describe('Pass as cursor for the older page; null on the last'),
  })
  .strict();

export const MemberTransferSchema = z
  .object({
    transferNo: z.string(),
    mchTransferNo: z.string(),
    fromBizUserId: z.string().nullable(),
    fromMemberNo: z.string().nullable(),
    toBizUserId: z.string().nullable(),
    toMemberNo: z.string().nullable(),
    amount: fen('Moved from the sender’s available balance to the receiver’s'),
    currency: z.string(),
    remark: z.string().nullable(),
    state: z.enum(['succeeded']),
    createdAt: time,
  })
  .strict();

const SplitTo = z
  .object({
    kind: z.enum(['merchant', 'member']),
    memberNo: z.string().optional().describe('The member number, when a member received it'),
    name: z.string(),
  })
  .strict();

export const EscrowSchema = z
  .object({
    orderNo: z.string(),
    amount: fen('What the payment put in escrow: the net (amount − fee)'),
    held: fen('What it still holds'),
    released: fen('Released by confirmations'),
    refunded: fen('Given back to refunds before confirmation'),
    state: z.enum(['holding', 'partially_released', 'released', 'refunded']),
    autoConfirmAt: time.nullable().describe('When what it still holds confirms itself'),
    confirmations: z.array(
      z
        .object({
          confirmNo: z.string(),
          amount: fen('Released by this confirmation'),
          source: z.enum(['api', 'portal', 'auto']),
          at: time,
          splits: z.array(
            z
              .object({ kind: z.enum(['share', 'commission']), to: SplitTo, amount: fen('This part') })
              .strict(),
          ),
        })
        .strict(),
    ),
  })
  .strict();

const SCHEMAS = {
  Error: ErrorEnvelope,
  Member: MemberSchema,
  MemberCard: MemberCardSchema,
  MemberCards: MemberCardsSchema,
  MemberEntries: MemberEntriesSchema,
  MemberTransfer: MemberTransferSchema,
  Order: OrderSchema,
  Refund: RefundSchema,
  Balance: BalanceSchema,
  Withdrawal: WithdrawalSchema,
  Payout: PayoutSchema,
  Escrow: EscrowSchema,
};
type SchemaName = keyof typeof SCHEMAS;

const EXAMPLE_ORDER = {
  orderNo: 'P26120514300000000001',
  mchOrderNo: 'ORDER-1001',
  productCode: 'sandbox_qr',
  state: 'paying',
  amount: 1234,
  currency: 'CNY',
  fee: 7,
  refundedAmount: 0,
  subject: 'Coffee',
  cashierUrl: 'https://pay.example.com/cashier/P26120514300000000001?t=2b7e151628aed2a6abf71588',
  payData: { type: 'url', value: 'https://pay.example.com/sandbox/pay/SB1796531400000001' },
  channelOrderNo: 'SB1796531400000001',
  paidAt: null,
  closedAt: null,
  expiresAt: '2026-12-05T07:00:00.000Z',
  createdAt: '2026-12-05T06:30:00.000Z',
  failure: null,
  extra: null,
};
const EXAMPLE_REFUND = {
  refundNo: 'R26120514350000000001',
  mchRefundNo: 'REFUND-1001-1',
  orderNo: 'P26120514300000000001',
  mchOrderNo: 'ORDER-1001',
  state: 'pending',
  amount: 500,
  currency: 'CNY',
  feeRefund: 3,
  reason: '1 × latte returned',
  channelRefundNo: null,
  createdAt: '2026-12-05T06:35:00.000Z',
  succeededAt: null,
  failedAt: null,
  failure: null,
};
const EXAMPLE_WITHDRAWAL = {
  withdrawNo: 'W26120514400000000001',
  mchWithdrawNo: 'WD-20261205-1',
  state: 'submitted',
  amount: 50000,
  fee: 200,
  arrivalAmount: 49800,
  currency: 'CNY',
  card: { bankName: '招商银行', accountNoMasked: '6225 **** **** 1234' },
  reason: null,
  createdAt: '2026-12-05T06:40:00.000Z',
  reviewedAt: null,
  submittedAt: '2026-12-05T06:40:01.000Z',
  paidAt: null,
  failedAt: null,
};
const EXAMPLE_PAYOUT = {
  payoutNo: 'D26120514450000000001',
  mchPayoutNo: 'PAYOUT-1001',
  state: 'submitted',
  amount: 10000,
  fee: 100,
  currency: 'CNY',
  payee: { name: '张三', accountNoMasked: '**** **** 5678', bankName: '中国工商银行' },
  reason: null,
  createdAt: '2026-12-05T06:45:00.000Z',
  submittedAt: '2026-12-05T06:45:01.000Z',
  paidAt: null,
  failedAt: null,
};

/** The refusals every signed request can meet, by status. */
const SIGNED_ERRORS: Partial<Record<number, ErrorCode[]>> = {
  400: ['INVALID_REQUEST'],
  401: ['SIGNATURE_MISSING', 'SIGNATURE_INVALID', 'TIMESTAMP_EXPIRED', 'NONCE_REUSED'],
  403: ['MERCHANT_DISABLED', 'SIGN_TYPE_NOT_ALLOWED', 'IP_NOT_ALLOWED'],
  500: ['INTERNAL'],
  503: ['DATABASE_UNAVAILABLE'],
};
const BODY_ERRORS: Partial<Record<number, ErrorCode[]>> = {
  413: ['BODY_TOO_LARGE'],
  415: ['UNSUPPORTED_MEDIA_TYPE'],
};

interface MerchantOperation {
  operationId: string;
  /** The answer: a schema with its example, or a file. */
  answer: { schema: SchemaName; example: unknown } | 'statement' | 'empty';
  /** 201 for a new resource and 200 for a same-body retry. */
  creates?: boolean;
  request?: unknown;
  errors?: Partial<Record<number, readonly ErrorCode[]>>;
}

const EXAMPLE_ESCROW = {
  orderNo: 'P26120514300000000001',
  amount: 9940,
  held: 4940,
  released: 5000,
  refunded: 0,
  state: 'partially_released',
  autoConfirmAt: '2026-12-12T06:30:00.000Z',
  confirmations: [
    {
      confirmNo: 'CONFIRM-1',
      amount: 5000,
      source: 'api',
      at: '2026-12-06T08:00:00.000Z',
      splits: [
        {
          kind: 'share',
          to: { kind: 'member', memberNo: 'M1765000000000123456', name: '张三' },
          amount: 4750,
        },
        { kind: 'commission', to: { kind: 'merchant', name: 'merchant' }, amount: 250 },
      ],
    },
  ],
};

const ORDER = { schema: 'Order', example: EXAMPLE_ORDER } as const;
const ESCROW = { schema: 'Escrow', example: EXAMPLE_ESCROW } as const;
const REFUND = { schema: 'Refund', example: EXAMPLE_REFUND } as const;
const WITHDRAWAL = { schema: 'Withdrawal', example: EXAMPLE_WITHDRAWAL } as const;
const PAYOUT = { schema: 'Payout', example: EXAMPLE_PAYOUT } as const;
const ORDER_ACTION_ERRORS: Partial<Record<number, readonly ErrorCode[]>> = {
  404: ['NOT_FOUND'],
  409: ['ORDER_STATE_INVALID'],
  502: ['CHANNEL_ERROR'],
};

const EXAMPLE_MEMBER = {
  memberNo: 'M1000000001',
  bizUserId: 'seller-1',
  type: 'enterprise',
  name: '云杉家具有限公司',
  phoneMasked: '138****0001',
  idNoMasked: '**************D6X',
  legalPersonName: '王云杉',
  state: 'active',
  source: 'api',
  realNameVerified: true,
  createdAt: '2026-12-05T06:30:00.000Z',
  balances: { pending: 12000, available: 48800, frozen: 0 },
};
const MEMBER = { schema: 'Member', example: EXAMPLE_MEMBER } as const;
const EXAMPLE_MEMBER_CARD = {
  id: '42',
  holderName: '云杉家具有限公司',
  accountNoMasked: '6222 **** **** 2001',
  bankName: '中国工商银行',
  bankBranch: '',
  cardType: 'corporate',
  state: 'active',
  isDefault: true,
  createdAt: '2026-12-05T06:31:00.000Z',
  reviewReason: null,
};
const MEMBER_ERRORS = { 404: ['MEMBER_NOT_FOUND'] } as const;

/** The merchant API, by `METHOD path` as the document names it. */
export const MERCHANT_OPERATIONS: Record<string, MerchantOperation> = {
  'POST /api/v1/orders': {
    operationId: 'createOrder',
    answer: ORDER,
    creates: true,
    request: {
      mchOrderNo: 'ORDER-1001',
      productCode: 'sandbox_qr',
      amount: 1234,
      subject: 'Coffee',
      notifyUrl: 'https://shop.example.com/qingyun/notify',
    },
    errors: {
      400: ['AMOUNT_OUT_OF_RANGE', 'CURRENCY_MISMATCH', 'SPLIT_EXCEEDS_AMOUNT'],
      403: ['PRODUCT_NOT_AVAILABLE'],
      404: ['PRODUCT_NOT_FOUND', 'MEMBER_NOT_FOUND', 'SPLIT_RULE_NOT_FOUND'],
      409: [
        'IDEMPOTENCY_CONFLICT',
        'MEMBER_STATE',
        'SPLIT_RULE_STATE',
        'SPLIT_AGREEMENT_UNSIGNED',
        'SETTLEMENT_MODE',
      ],
      422: ['NO_CHANNEL_AVAILABLE'],
    },
  },
  'GET /api/v1/orders': {
    operationId: 'getOrderByMchOrderNo',
    answer: ORDER,
    errors: { 404: ['NOT_FOUND'] },
  },
  'GET /api/v1/orders/{orderNo}': { operationId: 'getOrder', answer: ORDER, errors: { 404: ['NOT_FOUND'] } },
  'POST /api/v1/orders/{orderNo}/close': {
    operationId: 'closeOrder',
    answer: ORDER,
    errors: ORDER_ACTION_ERRORS,
  },
  'POST /api/v1/orders/{orderNo}/cancel': {
    operationId: 'cancelOrder',
    answer: ORDER,
    errors: ORDER_ACTION_ERRORS,
  },
  'POST /api/v1/orders/{orderNo}/sync': {
    operationId: 'syncOrder',
    answer: ORDER,
    errors: ORDER_ACTION_ERRORS,
  },
  'POST /api/v1/refunds': {
    operationId: 'createRefund',
    answer: REFUND,
    creates: true,
    request: {
      orderNo: 'P26120514300000000001',
      mchRefundNo: 'REFUND-1001-1',
      amount: 500,
      reason: '1 × latte returned',
    },
    errors: {
      404: ['NOT_FOUND'],
      409: [
        'IDEMPOTENCY_CONFLICT',
        'ORDER_STATE_INVALID',
        'REFUND_AMOUNT_EXCEEDED',
        'INSUFFICIENT_BALANCE',
        'SPLIT_REFUND_INSUFFICIENT',
      ],
    },
  },
  'GET /api/v1/refunds': {
    operationId: 'getRefundByMchRefundNo',
    answer: REFUND,
    errors: { 404: ['NOT_FOUND'] },
  },
  'GET /api/v1/refunds/{refundNo}': {
    operationId: 'getRefund',
    answer: REFUND,
    errors: { 404: ['NOT_FOUND'] },
  },
  'GET /api/v1/balance': {
    operationId: 'getBalance',
    answer: {
      schema: 'Balance',
      example: { currency: 'CNY', mode: 'platform', pending: 1227, available: 48800, frozen: 0, reserved: 0 },
    },
  },
  'GET /api/v1/statements': { operationId: 'getStatement', answer: 'statement' },
  'POST /api/v1/withdrawals': {
    operationId: 'createWithdrawal',
    answer: WITHDRAWAL,
    creates: true,
    request: { mchWithdrawNo: 'WD-20261205-1', amount: 50000 },
    errors: {
      400: ['AMOUNT_OUT_OF_RANGE'],
      409: [
        'IDEMPOTENCY_CONFLICT',
        'INSUFFICIENT_BALANCE',
        'SETTLEMENT_MODE',
        'OUTSIDE_WITHDRAWAL_WINDOW',
        'DAILY_LIMIT_REACHED',
        'NO_BANK_CARD',
      ],
    },
  },
  'GET /api/v1/withdrawals': {
    operationId: 'getWithdrawalByMchWithdrawNo',
    answer: WITHDRAWAL,
    errors: { 404: ['NOT_FOUND'] },
  },
  'GET /api/v1/withdrawals/{withdrawNo}': {
    operationId: 'getWithdrawal',
    answer: WITHDRAWAL,
    errors: { 404: ['NOT_FOUND'] },
  },
  'POST /api/v1/payouts': {
    operationId: 'createPayout',
    answer: PAYOUT,
    creates: true,
    request: {
      mchPayoutNo: 'PAYOUT-1001',
      amount: 10000,
      payee: { name: '张三', accountNo: '6222020200112345678', bankName: '中国工商银行', type: 'personal' },
      remark: '佣金',
    },
    errors: {
      400: ['AMOUNT_OUT_OF_RANGE'],
      409: ['IDEMPOTENCY_CONFLICT', 'INSUFFICIENT_BALANCE', 'SETTLEMENT_MODE', 'DAILY_LIMIT_REACHED'],
      422: ['NO_PAYOUT_CHANNEL'],
    },
  },
  'GET /api/v1/payouts': {
    operationId: 'getPayoutByMchPayoutNo',
    answer: PAYOUT,
    errors: { 404: ['NOT_FOUND'] },
  },
  'GET /api/v1/payouts/{payoutNo}': {
    operationId: 'getPayout',
    answer: PAYOUT,
    errors: { 404: ['NOT_FOUND'] },
  },
  'POST /api/v1/members': {
    operationId: 'createMember',
    answer: MEMBER,
    creates: true,
    request: {
      bizUserId: 'seller-1',
      type: 'enterprise',
      name: '云杉家具有限公司',
      phone: '13800000001',
      idNo: '91330100MA2B3C5D6X',
      legalPersonName: '王云杉',
    },
    errors: { 409: ['MEMBER_EXISTS'] },
  },
  'GET /api/v1/members/{bizUserId}': { operationId: 'getMember', answer: MEMBER, errors: MEMBER_ERRORS },
  'POST /api/v1/members/{bizUserId}/state': {
    operationId: 'setMemberState',
    answer: MEMBER,
    request: { state: 'active' },
    errors: { ...MEMBER_ERRORS, 409: ['MEMBER_STATE'] },
  },
  'POST /api/v1/members/{bizUserId}/verify': {
    operationId: 'verifyMember',
    answer: MEMBER,
    errors: { ...MEMBER_ERRORS, 409: ['MEMBER_STATE'], 422: ['MEMBER_VERIFY_FAILED'] },
  },
  'GET /api/v1/members/{bizUserId}/bank-cards': {
    operationId: 'listMemberBankCards',
    answer: { schema: 'MemberCards', example: { items: [EXAMPLE_MEMBER_CARD] } },
    errors: MEMBER_ERRORS,
  },
  'POST /api/v1/members/{bizUserId}/bank-cards': {
    operationId: 'bindMemberBankCard',
    answer: { schema: 'MemberCard', example: EXAMPLE_MEMBER_CARD },
    creates: true,
    request: { accountNo: '6222000000000002001', bankName: '中国工商银行', phone: '13800000001' },
    errors: { ...MEMBER_ERRORS, 409: ['MEMBER_STATE'], 422: ['MEMBER_VERIFY_FAILED'] },
  },
  'DELETE /api/v1/members/{bizUserId}/bank-cards/{cardId}': {
    operationId: 'removeMemberBankCard',
    answer: 'empty',
    errors: { 404: ['MEMBER_NOT_FOUND', 'NOT_FOUND'] },
  },
  'GET /api/v1/members/{bizUserId}/entries': {
    operationId: 'listMemberEntries',
    answer: {
      schema: 'MemberEntries',
      example: {
        items: [
          {
            id: '9001',
            at: '2026-12-05T08:00:00.000Z',
            account: 'available',
            type: 'member_transfer',
            reference: 'MT26120516000000000001',
            amount: -3000,
            balanceAfter: 45800,
          },
        ],
        nextCursor: null,
      },
    },
    errors: MEMBER_ERRORS,
  },
  'POST /api/v1/member-transfers': {
    operationId: 'createMemberTransfer',
    answer: {
      schema: 'MemberTransfer',
      example: {
        transferNo: 'MT26120516000000000001',
        mchTransferNo: 'TR-1001',
        fromBizUserId: 'seller-1',
        fromMemberNo: 'M1000000001',
        toBizUserId: 'seller-2',
        toMemberNo: 'M1000000002',
        amount: 3000,
        currency: 'CNY',
        remark: '货款',
        state: 'succeeded',
        createdAt: '2026-12-05T08:00:00.000Z',
      },
    },
    creates: true,
    request: {
      transferNo: 'TR-1001',
      fromBizUserId: 'seller-1',
      toBizUserId: 'seller-2',
      amount: 3000,
      remark: '货款',
    },
    errors: { ...MEMBER_ERRORS, 409: ['IDEMPOTENCY_CONFLICT', 'INSUFFICIENT_BALANCE', 'MEMBER_STATE'] },
  },
  'POST /api/v1/members/{bizUserId}/withdrawals': {
    operationId: 'createMemberWithdrawal',
    answer: WITHDRAWAL,
    creates: true,
    request: { mchWithdrawNo: 'MW-20261205-1', amount: 20000 },
    errors: {
      ...MEMBER_ERRORS,
      400: ['AMOUNT_OUT_OF_RANGE'],
      409: [
        'IDEMPOTENCY_CONFLICT',
        'INSUFFICIENT_BALANCE',
        'MEMBER_STATE',
        'OUTSIDE_WITHDRAWAL_WINDOW',
        'DAILY_LIMIT_REACHED',
        'NO_BANK_CARD',
      ],
    },
  },
  'GET /api/v1/members/{bizUserId}/withdrawals/{withdrawNo}': {
    operationId: 'getMemberWithdrawal',
    answer: WITHDRAWAL,
    errors: { 404: ['MEMBER_NOT_FOUND', 'NOT_FOUND'] },
  },
  'POST /api/v1/escrow/{orderNo}/confirm': {
    operationId: 'confirmEscrow',
    answer: ESCROW,
    request: { confirmNo: 'CONFIRM-1', amount: 5000 },
    errors: {
      404: ['NOT_FOUND', 'MEMBER_NOT_FOUND'],
      409: ['ESCROW_STATE', 'MEMBER_STATE'],
    },
  },
  'GET /api/v1/escrow/{orderNo}': {
    operationId: 'getEscrow',
    answer: ESCROW,
    errors: { 404: ['NOT_FOUND'] },
  },
};

const SIGNING_DESCRIPTION = `Every merchant API request is signed. Send the headers X-Qy-Mch (merchant number), X-Qy-App (app id), X-Qy-Timestamp (unix seconds, ±300 s), X-Qy-Nonce (8–64 of A-Z a-z 0-9 _ -, once per app), X-Qy-Sign-Type (HMAC-SHA256 or RSA-SHA256) and X-Qy-Signature: the standard base64 (padded, canonical) of the HMAC-SHA256 with the app secret, or the RSA-SHA256 PKCS#1 v1.5 signature with your private key, of the UTF-8 string

    METHOD\\nPATH?QUERY\\nMCH\\nAPP\\nTIMESTAMP\\nNONCE\\nBODY\\n

(PATH?QUERY exactly as on the request line, BODY the exact bytes sent, empty for GET). Notifies to your notify URL are signed over TIMESTAMP\\nNONCE\\nBODY\\n the same way. The SDKs (sdk/) do all of this; docs/merchant-api.md works an example step by step.`;

const SIGNED_HEADERS = [
  ['X-Qy-Mch', 'Your merchant number', 'M8948729534'],
  ['X-Qy-App', 'The app id', 'APPA51B9151A8842E4A'],
  ['X-Qy-Timestamp', 'Unix time in seconds, within ±300 s of the platform clock', '1763700000'],
  ['X-Qy-Nonce', '8–64 characters of A-Z a-z 0-9 _ -, used once per app', '9f1c2e7a5b3d4c6e8f0a1b2c3d4e5f60'],
  ['X-Qy-Sign-Type', 'HMAC-SHA256 (app secret) or RSA-SHA256 (your private key)', 'HMAC-SHA256'],
] as const;

/** The two ways in: a signed request (merchant API) and the consoles' session cookie. */
export const SECURITY_SCHEMES = {
  merchantSignature: {
    type: 'apiKey',
    in: 'header',
    name: 'X-Qy-Signature',
    description: SIGNING_DESCRIPTION,
  },
  consoleSession: {
    type: 'apiKey',
    in: 'cookie',
    name: 'qy_session',
    description:
      "The consoles' session cookie (operator, merchant portal, agent area), set by POST /api/auth/login (and /api/auth/totp where a second step is on). Mutations also need the X-CSRF-Token header with the session's token (docs/console-api.md).",
  },
} as const;

/** Operation ids from the method and the path: `GET /api/admin/orders/{orderNo}` → `getApiAdminOrdersOrderNo`. */
export function operationIdOf(method: string, path: string): string {
  const words = [method.toLowerCase(), ...path.split(/[^A-Za-z0-9]+/).filter(Boolean)];
  return words.map((w, i) => (i === 0 ? w : w[0]!.toUpperCase() + w.slice(1))).join('');
}

function toJsonSchema(schema: z.ZodType): Json {
  return z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'output' }) as Json;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

function errorResponses(byStatus: Partial<Record<number, readonly ErrorCode[]>>): Json {
  const out: Json = {};
  for (const [status, codes] of Object.entries(byStatus)) {
    if (!codes || codes.length === 0) continue;
    out[status] = {
      description: `Refused: ${codes.join(', ')}`,
      content: {
        'application/json': {
          schema: ref('Error'),
          example: {
            code: codes[0],
            message: `(${codes[0]} in words)`,
            requestId: 'req_5f0c3b1e9a7d4c2b8e6f1a3d5c7b9e0f',
          },
        },
      },
    };
  }
  return out;
}

function mergeErrors(...lists: Partial<Record<number, readonly ErrorCode[]>>[]) {
  const out: Record<number, ErrorCode[]> = {};
  for (const list of lists) {
    for (const [status, codes] of Object.entries(list)) {
      out[Number(status)] = [...new Set([...(out[Number(status)] ?? []), ...(codes ?? [])])];
    }
  }
  return out;
}

function documentMerchantOperation(method: string, operation: Json, described: MerchantOperation): void {
  operation.operationId = described.operationId;
  operation.security = [{ merchantSignature: [] }];
  const headerParameters = SIGNED_HEADERS.map(([name]) => ({ $ref: `#/components/parameters/${name}` }));
  operation.parameters = [...((operation.parameters as unknown[]) ?? []), ...headerParameters];
  const responses: Json = {};
  if (described.answer === 'statement') {
    responses['200'] = {
      description: 'The statement file (txt: UTF-8 with BOM; xlsx: a workbook)',
      headers: {
        'X-Qy-Statement-Sha256': { description: "The file's SHA-256 (hex)", schema: { type: 'string' } },
      },
      content: {
        'text/plain': { schema: { type: 'string' }, example: '\ufeff对账单|M8948729534|2026-12-04\r\n…' },
        'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': {
          schema: { type: 'string', format: 'binary' },
        },
      },
    };
  } else if (described.answer === 'empty') {
    responses['204'] = { description: 'Done: no body' };
  } else {
    const content = {
      'application/json': { schema: ref(described.answer.schema), example: described.answer.example },
    };
    if (described.creates) {
      responses['201'] = { description: 'Created', content };
      responses['200'] = { description: 'A same-body retry: the one created before', content };
    } else {
      responses['200'] = { description: 'OK', content };
    }
  }
  const body = method === 'post' ? BODY_ERRORS : {};
  Object.assign(responses, errorResponses(mergeErrors(SIGNED_ERRORS, body, described.errors ?? {})));
  operation.responses = responses;
  const requestBody = operation.requestBody as { content?: Record<string, Json> } | undefined;
  const json = requestBody?.content?.['application/json'];
  if (json && described.request !== undefined) json.example = described.request;
}

/** Public routes of the console API: reached before there is a session. */
const PUBLIC_CONSOLE_PATHS = new Set([
  '/api/auth/login',
  '/api/auth/password-reset/request',
  '/api/auth/password-reset/confirm',
]);

/** Completes the document @fastify/swagger built from the routes (its `transformObject`). */
export function completeOpenApiDocument(document: Json): Json {
  const components = (document.components ?? {}) as Json;
  const schemas = (components.schemas ?? {}) as Json;
  for (const [name, schema] of Object.entries(SCHEMAS)) schemas[name] = toJsonSchema(schema);
  const parameters = (components.parameters ?? {}) as Json;
  for (const [name, description, example] of SIGNED_HEADERS) {
    parameters[name] = {
      name,
      in: 'header',
      required: true,
      description,
      schema: { type: 'string' },
      example,
    };
  }
  const paths = (document.paths ?? {}) as Record<string, Record<string, Json>>;
  for (const [path, item] of Object.entries(paths)) {
    for (const [method, operation] of Object.entries(item)) {
      const described = MERCHANT_OPERATIONS[`${method.toUpperCase()} ${path}`];
      if (described) {
        documentMerchantOperation(method, operation, described);
        continue;
      }
      if (path.startsWith('/api/v1/')) {
        // A merchant route not described above yet: signed, with the refusals every signed request can meet.
        operation.operationId ??= operationIdOf(method, path);
        operation.security = [{ merchantSignature: [] }];
        operation.responses = { ...(operation.responses as Json), ...errorResponses(SIGNED_ERRORS) };
        continue;
      }
      operation.operationId ??= operationIdOf(method, path);
      operation.security ??= PUBLIC_CONSOLE_PATHS.has(path) ? [] : [{ consoleSession: [] }];
      const responses = (operation.responses ?? {}) as Json;
      if (!Object.keys(responses).some((status) => status.startsWith('4'))) {
        responses['4XX'] = {
          description:
            'Refused: the error envelope with a stable code (docs/console-api.md lists them; the consoles put each in words)',
          content: { 'application/json': { schema: ref('Error') } },
        };
      }
      operation.responses = responses;
    }
  }
  return {
    ...document,
    servers: [{ url: '/', description: 'This platform node' }],
    info: {
      ...(document.info as Json),
      license: { name: 'Apache-2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' },
    },
    components: {
      ...components,
      schemas,
      parameters,
      securitySchemes: SECURITY_SCHEMES,
    },
  };
}
