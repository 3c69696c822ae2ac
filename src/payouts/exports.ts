import type { FastifyReply } from 'fastify';
import type { Services } from '../app/services.ts';
import { type ExportColumn, type ExportFormat, yuan } from '../exports/stream.ts';
import { ownerName, ownerNumber, ownerViewOfNames } from '../withdrawals/owner.ts';
import { WORDS, word } from '../words.ts';
import type { PayoutMatch, PayoutOwnerNames, PayoutRow } from './queries.ts';
import { maskAccountNo } from './views.ts';

type Row = PayoutRow & PayoutOwnerNames & { channelAccountName: string | null };

/** A payout file: the list's columns; the operators' also whose payout and which channel account. */
function columns(services: Services, area: 'operator' | 'merchant'): ExportColumn<Row>[] {
  const time = services.exports.time;
  const owner = (r: Row) => ownerViewOfNames(r);
  const operator: ExportColumn<Row>[] = [
    { key: 'ownerKind', header: '付款方', cell: (r) => word('ownerKind', owner(r).ownerKind) },
    { key: 'ownerNo', header: '商户号/代理商编号', cell: (r) => ownerNumber(owner(r)) },
    {
      key: 'ownerName',
      header: '商户/代理商名称',
      cell: (r) => ownerName(owner(r)),
    },
  ];
  return [
    { key: 'payoutNo', header: '代付单号', cell: (r) => r.payout_no },
    { key: 'mchPayoutNo', header: '商户代付单号', cell: (r) => r.mch_payout_no },
    { key: 'kind', header: '类型', cell: (r) => word('payoutKind', r.kind) },
    { key: 'withdrawNo', header: '提现单号', cell: (r) => r.withdraw_no },
    ...(area === 'operator' ? operator : []),
    { key: 'payeeName', header: '收款人', cell: (r) => r.payee_name },
    { key: 'payeeBank', header: '开户银行', cell: (r) => r.payee_bank_name },
    { key: 'payeeAccount', header: '收款账号', cell: (r) => maskAccountNo(r.payee_account_tail) },
    { key: 'amount', header: '代付金额', money: true, cell: (r) => yuan(r.amount) },
    { key: 'fee', header: '手续费', money: true, cell: (r) => yuan(r.fee) },
    { key: 'state', header: '代付状态', cell: (r) => word('payoutState', r.state) },
    { key: 'reason', header: '原因', cell: (r) => r.reason },
    ...(area === 'operator'
      ? [
          { key: 'channelAccount', header: '通道账户', cell: (r: Row) => r.channelAccountName },
          { key: 'channelPayoutNo', header: '通道代付单号', cell: (r: Row) => r.channel_payout_no },
          { key: 'test', header: '测试', cell: (r: Row) => (r.test ? WORDS.yes : WORDS.no) },
        ]
      : []),
    { key: 'createdAt', header: '创建时间', cell: (r) => time(r.created_at) },
    { key: 'paidAt', header: '付款时间', cell: (r) => time(r.paid_at) },
  ];
}

/** A payout export under the list's filters (a merchant's own: its id is in them). */
export function sendPayoutExport(
  services: Services,
  reply: FastifyReply,
  area: 'operator' | 'merchant',
  filter: PayoutMatch,
  format: ExportFormat,
) {
  return services.exports.send(reply, {
    name: 'payouts',
    sheet: '代付',
    format,
    columns: columns(services, area),
    count: () => services.payouts.countMatching(filter),
    page: (afterId, limit) => services.payouts.matchingAfter(filter, afterId, limit),
    idOf: (p) => p.id,
    shape: async (rows) => {
      if (area !== 'operator') return rows.map((r) => ({ ...r, channelAccountName: null }));
      const names = await services.catalog.channelAccountNames([
        ...new Set(rows.flatMap((r) => (r.channel_account_id === null ? [] : [r.channel_account_id]))),
      ]);
      return rows.map((r) => ({
        ...r,
        channelAccountName: r.channel_account_id === null ? null : (names.get(r.channel_account_id) ?? null),
      }));
    },
  });
}
