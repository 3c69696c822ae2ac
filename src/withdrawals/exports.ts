import type { FastifyReply } from 'fastify';
import type { Services } from '../app/services.ts';
import { type ExportColumn, type ExportFormat, yuan } from '../exports/stream.ts';
import { word } from '../words.ts';
import { ownerName, ownerNumber, ownerViewOfNames } from './owner.ts';
import type { OwnerNames, WithdrawalMatch, WithdrawalRow } from './queries.ts';

type Row = WithdrawalRow & OwnerNames;

/** A withdrawal file: the list's columns; the operators' also says whose withdrawal it is. */
function columns(services: Services, area: 'operator' | 'owner'): ExportColumn<Row>[] {
  const time = services.exports.time;
  const owner = (r: Row) => ownerViewOfNames(r);
  return [
    { key: 'withdrawNo', header: '提现单号', cell: (r) => r.withdraw_no },
    { key: 'mchWithdrawNo', header: '商户提现单号', cell: (r) => r.mch_withdraw_no },
    ...(area === 'operator'
      ? [
          {
            key: 'ownerKind',
            header: '提现方',
            cell: (r: Row) => word('ownerKind', owner(r).ownerKind),
          },
          {
            key: 'ownerNo',
            header: '商户号/代理商编号',
            cell: (r: Row) => ownerNumber(owner(r)),
          },
          {
            key: 'ownerName',
            header: '商户/代理商名称',
            cell: (r: Row) => ownerName(owner(r)),
          },
        ]
      : []),
    { key: 'bankName', header: '开户银行', cell: (r) => r.bank_name },
    { key: 'accountNo', header: '银行卡号', cell: (r) => r.account_masked },
    { key: 'amount', header: '提现金额', money: true, cell: (r) => yuan(r.amount) },
    { key: 'fee', header: '手续费', money: true, cell: (r) => yuan(r.fee) },
    { key: 'arrivalAmount', header: '到账金额', money: true, cell: (r) => yuan(r.amount - r.fee) },
    { key: 'state', header: '提现状态', cell: (r) => word('withdrawalState', r.state) },
    { key: 'reason', header: '原因', cell: (r) => r.reason },
    { key: 'payoutNo', header: '代付单号', cell: (r) => r.payout_no },
    { key: 'createdAt', header: '申请时间', cell: (r) => time(r.created_at) },
    { key: 'paidAt', header: '付款时间', cell: (r) => time(r.paid_at) },
  ];
}

/** A withdrawal export under the list's filters (a merchant's or an agent's own: the owner is in them). */
export function sendWithdrawalExport(
  services: Services,
  reply: FastifyReply,
  area: 'operator' | 'owner',
  filter: WithdrawalMatch,
  format: ExportFormat,
) {
  return services.exports.send(reply, {
    name: 'withdrawals',
    sheet: '提现',
    format,
    columns: columns(services, area),
    count: () => services.withdrawals.countMatching(filter),
    page: (afterId, limit) => services.withdrawals.matchingAfter(filter, afterId, limit),
    idOf: (w) => w.id,
    shape: (rows) => rows,
  });
}
