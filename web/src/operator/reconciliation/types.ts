// The shapes /api/admin/reconciliation answers (src/reconciliation/routes.ts: batchView, itemView);
// amounts in minor units.

export const BATCH_STATES = ['running', 'done', 'failed'] as const;
export type BatchState = (typeof BATCH_STATES)[number];

/** The classes of a statement line or record of ours, in the order the screen lists them. */
export const ITEM_CLASSES = [
  'platform_only',
  'channel_only',
  'amount_mismatch',
  'status_mismatch',
  'fee_mismatch',
  'carried',
] as const;
export type ItemClass = (typeof ITEM_CLASSES)[number];

export const DISCREPANCY_CLASSES = [
  'platform_only',
  'channel_only',
  'amount_mismatch',
  'status_mismatch',
  'fee_mismatch',
] as const;

export interface ClassFigure {
  count: number;
  amount: number;
}

export interface Batch {
  id: string;
  channelAccountId: string;
  day: string;
  state: BatchState;
  source: 'fetched' | 'uploaded';
  runNo: number;
  fileName: string | null;
  fileBytes: number | null;
  lineCount: number;
  channel: {
    paymentCount: number;
    paymentAmount: number;
    refundCount: number;
    refundAmount: number;
    fee: number | null;
  };
  platform: {
    paymentCount: number;
    paymentAmount: number;
    refundCount: number;
    refundAmount: number;
    cost: number;
  };
  summary: Record<(typeof DISCREPANCY_CLASSES)[number] | 'matched' | 'matchedRefunds', ClassFigure> & {
    ignored: number;
    carriedOut: number;
    carriedInMatched: number;
  };
  totalsTieOut: boolean | null;
  failure: string | null;
  startedAt: string;
  finishedAt: string | null;
}

export interface Side {
  amount: number | null;
  fee: number | null;
  at: string | null;
}

export interface Item {
  id: string;
  batchId: string;
  day: string;
  class: ItemClass;
  kind: 'payment' | 'refund';
  orderNo: string | null;
  refundNo: string | null;
  channelTradeNo: string | null;
  ours: Side & { state: string | null };
  channel: Side & { status: string | null };
  carriedFromDay: string | null;
  carryState: 'waiting' | 'matched' | 'flagged' | null;
  resolution: 'open' | 'resolved';
  resolutionNote: string | null;
  resolvedAt: string | null;
}

/** A batch's differences: the classes that are not matched and not carried. */
export function discrepancyCount(b: Batch): number {
  return DISCREPANCY_CLASSES.reduce((sum, c) => sum + b.summary[c].count, 0);
}
