import type { CatalogService, ChannelAccountRuntime } from '../catalog/service.ts';
import { AppError } from '../errors.ts';
import { getAdapter } from './registry.ts';
import type {
  ChannelAdapter,
  ChannelContext,
  ChannelStatement,
  ClosePaymentResult,
  ConnectionTestResult,
  CreatePaymentRequest,
  CreatePaymentResult,
  CreateRefundRequest,
  CreateRefundResult,
  InboundNotify,
  ParsedAnyNotify,
  PaymentReference,
  PaymentStatusResult,
  PayoutReference,
  PayoutRequest,
  PayoutResult,
  PayoutStatusResult,
  RefundReference,
  RefundStatusResult,
  StatementFile,
  StatementRequest,
} from './types.ts';

/**
 * What watches the creates (the health domain's circuit breakers, attached in services.ts): asked
 * before a create whether the account may take it, told after how it went and how long it took.
 */
export interface ChannelCallObserver {
  admit(accountId: bigint): Promise<boolean>;
  /** `ok`: the channel answered (accepted, or the customer declined); not ok: refused, no answer, error. */
  record(accountId: bigint, ok: boolean, latencyMs: number): void;
}

/** The code of a create the gateway refused itself: the account's circuit is open. */
export const CIRCUIT_OPEN_CODE = 'CIRCUIT_OPEN';

/**
 * The core's one door to the providers: resolves a channel account to its adapter and context
 * (credentials decrypted, notify URL), so orders never see a provider's wire format.
 */
export class ChannelGateway {
  private observer: ChannelCallObserver | null = null;

  constructor(
    private readonly catalog: CatalogService,
    private readonly publicUrl: () => string,
    private readonly timeoutMs: number,
  ) {}

  /** The circuit breakers (services.ts); without them every create goes through. */
  attachObserver(observer: ChannelCallObserver): void {
    this.observer = observer;
  }

  /**
   * Opens a payment. An account whose circuit is open is refused here (`CIRCUIT_OPEN`, so the
   * order fails over to its next binding) without calling the channel; every call is timed and its
   * outcome told to the observer.
   */
  async createPayment(accountId: bigint, request: CreatePaymentRequest): Promise<CreatePaymentResult> {
    const { adapter, ctx } = await this.resolve(accountId);
    const observer = this.observer;
    if (!observer) return adapter.createPayment(ctx, request);
    if (!(await observer.admit(accountId))) {
      return {
        outcome: 'refused',
        code: CIRCUIT_OPEN_CODE,
        message: `channel account ${accountId} is resting: its circuit is open`,
      };
    }
    const started = performance.now();
    try {
      const result = await adapter.createPayment(ctx, request);
      const ok = result.outcome === 'accepted' || result.outcome === 'declined';
      observer.record(accountId, ok, performance.now() - started);
      return result;
    } catch (error) {
      observer.record(accountId, false, performance.now() - started);
      throw error;
    }
  }

  async queryPayment(accountId: bigint, ref: PaymentReference): Promise<PaymentStatusResult> {
    const { adapter, ctx } = await this.resolve(accountId);
    return adapter.queryPayment(ctx, ref);
  }

  async closePayment(accountId: bigint, ref: PaymentReference): Promise<ClosePaymentResult> {
    const { adapter, ctx } = await this.resolve(accountId);
    return adapter.closePayment(ctx, ref);
  }

  async createRefund(accountId: bigint, request: CreateRefundRequest): Promise<CreateRefundResult> {
    const { adapter, ctx } = await this.resolve(accountId);
    return adapter.createRefund(ctx, request);
  }

  async queryRefund(accountId: bigint, ref: RefundReference): Promise<RefundStatusResult> {
    const { adapter, ctx } = await this.resolve(accountId);
    return adapter.queryRefund(ctx, ref);
  }

  /**
   * Pays out through the account (代付). Refused, not thrown, when its adapter cannot pay out: the
   * payouts domain routes only to accounts that can, so this is a configuration slip.
   */
  async payout(accountId: bigint, request: PayoutRequest): Promise<PayoutResult> {
    const { adapter, ctx } = await this.resolve(accountId);
    if (!adapter.supportsPayout || !adapter.payout) {
      return { outcome: 'refused', code: 'PAYOUT_NOT_SUPPORTED', message: `${adapter.code} cannot pay out` };
    }
    return adapter.payout(ctx, request);
  }

  async queryPayout(accountId: bigint, ref: PayoutReference): Promise<PayoutStatusResult> {
    const { adapter, ctx } = await this.resolve(accountId);
    if (!adapter.queryPayout) throw new Error(`${adapter.code} cannot query payouts`);
    return adapter.queryPayout(ctx, ref);
  }

  /**
   * Proves an account's keys and the network without moving money (the adapter's signed query of
   * an order that cannot exist). A throw from the adapter is a failed test, never an error page.
   */
  async testConnection(accountId: bigint): Promise<ConnectionTestResult> {
    const { adapter, ctx } = await this.resolve(accountId);
    try {
      return await adapter.testConnection(ctx);
    } catch (error) {
      return { ok: false, code: 'CHANNEL_BAD_RESPONSE', message: (error as Error).message };
    }
  }

  /** Verifies and normalises a notify; returns the adapter too, for the acknowledgement. */
  async parseNotify(
    accountId: bigint,
    notify: InboundNotify,
  ): Promise<{ adapter: ChannelAdapter; parsed: ParsedAnyNotify }> {
    const { adapter, ctx } = await this.resolve(accountId);
    return { adapter, parsed: await adapter.parseNotify(ctx, notify) };
  }

  /** Whether the account's adapter gives statements (fetchStatement); false for an unknown account. */
  async givesStatements(accountId: bigint): Promise<boolean> {
    return typeof (await this.adapterOf(accountId))?.fetchStatement === 'function';
  }

  /** Downloads the account's statement of one day; throws when the channel cannot give it. */
  async fetchStatement(accountId: bigint, request: StatementRequest): Promise<ChannelStatement> {
    const { adapter, ctx } = await this.resolve(accountId);
    if (!adapter.fetchStatement) throw new Error(`${adapter.code} gives no statements`);
    return adapter.fetchStatement(ctx, request);
  }

  /**
   * Reads a statement file of the account's channel that an operator uploaded; null when the
   * adapter reads no files. Throws (the adapter's message) when the file is not one.
   */
  async parseStatement(
    accountId: bigint,
    file: Buffer,
    request: StatementRequest,
  ): Promise<StatementFile | null> {
    const { adapter } = await this.resolve(accountId);
    return adapter.parseStatement ? adapter.parseStatement(file, request) : null;
  }

  async adapterOf(accountId: bigint): Promise<ChannelAdapter | null> {
    const account = await this.catalog.channelAccount(accountId);
    return account ? (getAdapter(account.adapterCode) ?? null) : null;
  }

  notifyUrlOf(accountId: bigint): string {
    return `${this.publicUrl()}/api/channel-notify/${accountId}`;
  }

  /** Refund notifies arrive at a sibling of the account's notify URL. */
  refundNotifyUrlOf(accountId: bigint): string {
    return `${this.notifyUrlOf(accountId)}/refund`;
  }

  /** Payout notifies arrive at a sibling of the account's notify URL. */
  payoutNotifyUrlOf(accountId: bigint): string {
    return `${this.notifyUrlOf(accountId)}/payout`;
  }

  private async resolve(accountId: bigint): Promise<{ adapter: ChannelAdapter; ctx: ChannelContext }> {
    const account = await this.catalog.channelAccount(accountId);
    if (!account) throw new AppError('NOT_FOUND', `channel account ${accountId} not found`);
    const adapter = getAdapter(account.adapterCode);
    if (!adapter) throw new Error(`channel account ${accountId} uses unknown adapter ${account.adapterCode}`);
    return { adapter, ctx: this.contextOf(account) };
  }

  private contextOf(account: ChannelAccountRuntime): ChannelContext {
    return {
      channelAccountId: account.id,
      credentials: account.credentials,
      config: account.config,
      notifyUrl: this.notifyUrlOf(account.id),
      refundNotifyUrl: this.refundNotifyUrlOf(account.id),
      payoutNotifyUrl: this.payoutNotifyUrlOf(account.id),
      publicUrl: this.publicUrl(),
      timeoutMs: this.timeoutMs,
    };
  }
}
