/**
 * Reconciliation's words. A statement line, or one of our records the statement lacks, falls in one
 * class; only the discrepancies (and the records carried over midnight) become recon_item rows, the
 * matches are counted on their batch.
 */
export const ITEM_CLASSES = [
  /** We have it paid (or refunded) that day on that account; the channel's statement does not. 长款 */
  'platform_only',
  /** The channel took it; we have no such order, or it is not paid with us (or a line repeats). 短款 */
  'channel_only',
  'amount_mismatch',
  /** The channel reports it unsuccessful while we have it paid or refunded. */
  'status_mismatch',
  /** The channel's fee differs from the channel cost snapshotted on our order. */
  'fee_mismatch',
  /** Ours, in the last minutes of the day: waiting for a later day's statement (not a discrepancy yet). */
  'carried',
] as const;
export type ItemClass = (typeof ITEM_CLASSES)[number];
export type DiscrepancyClass = Exclude<ItemClass, 'carried'>;

export const BATCH_STATES = ['running', 'done', 'failed'] as const;
export type BatchState = (typeof BATCH_STATES)[number];
export type BatchSource = 'fetched' | 'uploaded';
export type Resolution = 'open' | 'resolved';

export interface BatchRow {
  id: bigint;
  channel_account_id: bigint;
  business_day: string;
  state: BatchState;
  source: BatchSource;
  run_no: number;
  file_name: string | null;
  file_sha256: string | null;
  file_bytes: number | null;
  line_count: number;
  channel_payment_count: number;
  channel_payment_amount: bigint;
  channel_refund_count: number;
  channel_refund_amount: bigint;
  channel_fee: bigint | null;
  platform_payment_count: number;
  platform_payment_amount: bigint;
  platform_refund_count: number;
  platform_refund_amount: bigint;
  platform_cost: bigint;
  matched_count: number;
  matched_amount: bigint;
  matched_refund_count: number;
  matched_refund_amount: bigint;
  platform_only_count: number;
  platform_only_amount: bigint;
  channel_only_count: number;
  channel_only_amount: bigint;
  amount_mismatch_count: number;
  amount_mismatch_amount: bigint;
  status_mismatch_count: number;
  status_mismatch_amount: bigint;
  fee_mismatch_count: number;
  fee_mismatch_amount: bigint;
  ignored_count: number;
  carried_out_count: number;
  carried_in_matched: number;
  file_payment_count: number | null;
  file_payment_amount: bigint | null;
  file_refund_count: number | null;
  file_refund_amount: bigint | null;
  file_fee: bigint | null;
  totals_tie_out: boolean | null;
  failure: string | null;
  started_by: bigint | null;
  started_at: Date;
  finished_at: Date | null;
}

export interface ItemRow {
  id: bigint;
  batch_id: bigint;
  channel_account_id: bigint;
  business_day: string;
  item_key: string;
  class: ItemClass;
  kind: 'payment' | 'refund';
  order_id: bigint | null;
  order_no: string | null;
  refund_id: bigint | null;
  refund_no: string | null;
  channel_trade_no: string | null;
  our_amount: bigint | null;
  our_state: string | null;
  our_fee: bigint | null;
  our_at: Date | null;
  channel_amount: bigint | null;
  channel_status: string | null;
  channel_fee: bigint | null;
  channel_at: Date | null;
  carried_from_day: string | null;
  carry_state: 'waiting' | 'matched' | 'flagged' | null;
  resolution: Resolution;
  resolution_note: string | null;
  resolved_by: bigint | null;
  resolved_at: Date | null;
  created_at: Date;
  updated_at: Date;
}
