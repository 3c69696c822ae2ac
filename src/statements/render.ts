import { PassThrough } from 'node:stream';
import type ExcelJS from 'exceljs';
import { formatMinor, isCurrency } from '../money/money.ts';
import { type WordGroup, word } from '../words.ts';
import type { AccountDay, DayStatement, DaySummary, MonthStatement } from './service.ts';

/** A code in words for a file's cell: empty when there is none. */
const wordOf = (group: WordGroup, code: string | null | undefined): string => word(group, code) ?? '';

// The files' layout: a day's txt (UTF-8 with a byte-order mark, CRLF, `|` between fields, a header
// row above each section's lines, amounts in yuan with two decimals, times local) and XLSX (汇总 and
// one sheet per kind of line, amounts as numbers in yuan), and a month's XLSX (the per-day summary
// and the month's balances; the lines stay in each day's files, so a busy month stays small).

const CRLF = '\r\n';
const BOM = '\uFEFF';

const yuan = (amount: bigint, currency = 'CNY') =>
  formatMinor(amount, isCurrency(currency) ? currency : 'CNY');
/** A number in yuan for a spreadsheet cell (exact for any amount below 2^53 fen). */
const yuanNumber = (amount: bigint) => Number(amount) / 100;

const timeFormats = new Map<string, Intl.DateTimeFormat>();
/** `YYYY-MM-DD HH:mm:ss` in the platform's time zone. */
export function localTime(at: Date | null, timeZone: string): string {
  if (!at) return '';
  let format = timeFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('sv-SE', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    timeFormats.set(timeZone, format);
  }
  return format.format(at);
}

/** A text field without the separator or line breaks. */
const field = (value: string) => value.replace(/[|\r\n\t]/g, ' ');

/** The channel in words: the channel's own name, with its kind when the name does not say it. */
export function channelWords(name: string | null, adapter: string | null): string {
  const kind = wordOf('adapter', adapter);
  if (!name) return kind;
  return kind && !name.includes(kind) ? `${name}（${kind}）` : name;
}

interface Section {
  title: string;
  header: string[];
  /** Which columns are amounts in yuan (numbers in the workbook). */
  amounts: number[];
  rows: (string | bigint | number)[][];
  total?: (string | bigint | number)[];
}

function orderSection(s: DayStatement): Section {
  const rows = s.orders.map((o) => [
    o.order_no,
    o.mch_order_no,
    localTime(o.paid_at, s.timeZone),
    '支付',
    o.product_name,
    wordOf('payWay', o.pay_way),
    channelWords(o.channel_name, o.adapter_code),
    o.amount,
    o.fee,
    o.amount - o.fee,
    wordOf('orderState', o.state),
    wordOf('settlementMode', o.settle_mode ?? 'platform'),
    o.test ? '是' : '否',
  ]);
  const t = s.summary;
  return {
    title: '订单',
    header: [
      '平台订单号',
      '商户订单号',
      '支付时间',
      '交易类型',
      '产品',
      '支付方式',
      '通道',
      '订单金额',
      '手续费',
      '入账金额',
      '订单状态',
      '结算方式',
      '测试订单',
    ],
    amounts: [7, 8, 9],
    rows,
    total: [
      '合计',
      `${t.orderCount}笔`,
      '',
      '',
      '',
      '',
      '',
      t.orderAmount,
      t.orderFee,
      t.orderNet,
      '',
      '',
      '',
    ],
  };
}

function refundSection(s: DayStatement): Section {
  const rows = s.refunds.map((r) => [
    r.refund_no,
    r.mch_refund_no,
    r.order_no,
    r.mch_order_no,
    localTime(r.created_at, s.timeZone),
    '退款',
    r.amount,
    r.fee_refund,
    r.amount - r.fee_refund,
    wordOf('refundState', r.state),
    localTime(r.succeeded_at ?? r.failed_at, s.timeZone),
    r.test ? '是' : '否',
  ]);
  const t = s.summary;
  return {
    title: '退款',
    header: [
      '退款单号',
      '商户退款单号',
      '平台订单号',
      '商户订单号',
      '申请时间',
      '交易类型',
      '退款金额',
      '退还手续费',
      '扣减金额',
      '退款状态',
      '完成时间',
      '测试订单',
    ],
    amounts: [6, 7, 8],
    rows,
    total: [
      '合计（不含退款失败）',
      `${t.refundCount}笔`,
      '',
      '',
      '',
      '',
      t.refundAmount,
      t.refundFee,
      t.refundNet,
      '',
      '',
      '',
    ],
  };
}

function settlementSection(s: DayStatement): Section {
  const rows = s.settlements.map((r) => [
    r.day,
    wordOf('settlementKind', r.kind),
    r.order_count,
    r.gross,
    r.fee,
    r.refunds,
    r.net,
    r.reserve,
    r.reserve_released,
    localTime(r.created_at, s.timeZone),
  ]);
  return {
    title: '结算',
    header: [
      '结算日',
      '类型',
      '订单笔数',
      '订单金额',
      '手续费',
      '退款',
      '结算金额',
      '风险预留',
      '预留释放',
      '结算时间',
    ],
    amounts: [3, 4, 5, 6, 7, 8],
    rows,
    total: [
      '合计',
      '',
      '',
      '',
      '',
      '',
      s.summary.settledNet,
      s.summary.reserveHeld,
      s.summary.reserveReleased,
      '',
    ],
  };
}

function withdrawalSection(s: DayStatement): Section {
  const rows = s.withdrawals.map((w) => [
    w.withdraw_no,
    w.mch_withdraw_no,
    localTime(w.created_at, s.timeZone),
    '提现',
    w.amount,
    w.fee,
    w.amount - w.fee,
    w.bank_name,
    w.account_masked,
    wordOf('withdrawalState', w.state),
    localTime(w.paid_at ?? w.failed_at, s.timeZone),
  ]);
  const t = s.summary;
  return {
    title: '提现',
    header: [
      '提现单号',
      '商户提现单号',
      '申请时间',
      '交易类型',
      '提现金额',
      '手续费',
      '到账金额',
      '银行',
      '卡号',
      '状态',
      '完成时间',
    ],
    amounts: [4, 5, 6],
    rows,
    total: [
      '合计（本日申请）',
      `${t.withdrawalCount}笔`,
      '',
      '',
      t.withdrawalAmount,
      t.withdrawalFee,
      t.withdrawalAmount - t.withdrawalFee,
      '',
      '',
      '',
      '',
    ],
  };
}

function payoutSection(s: DayStatement): Section {
  const rows = s.payouts.map((p) => [
    p.payout_no,
    p.mch_payout_no ?? '',
    localTime(p.created_at, s.timeZone),
    '代付',
    p.amount,
    p.fee,
    p.amount + p.fee,
    p.payee_name,
    `${p.payee_bank_name} 尾号${p.payee_account_tail}`,
    wordOf('payoutState', p.state),
    localTime(p.paid_at ?? p.failed_at, s.timeZone),
  ]);
  const t = s.summary;
  return {
    title: '代付',
    header: [
      '代付单号',
      '商户代付单号',
      '申请时间',
      '交易类型',
      '代付金额',
      '手续费',
      '扣款金额',
      '收款人',
      '收款账户',
      '状态',
      '完成时间',
    ],
    amounts: [4, 5, 6],
    rows,
    total: [
      '合计（本日申请）',
      `${t.payoutCount}笔`,
      '',
      '',
      t.payoutAmount,
      t.payoutFee,
      t.payoutAmount + t.payoutFee,
      '',
      '',
      '',
      '',
    ],
  };
}

/** The summary figures as label and value (counts as numbers, amounts as bigint fen). */
export function summaryLines(t: DaySummary): [string, number | bigint][] {
  return [
    ['收款笔数', t.orderCount],
    ['收款金额', t.orderAmount],
    ['手续费', t.orderFee],
    ['收款入账金额', t.orderNet],
    ['其中测试订单笔数', t.testOrderCount],
    ['其中测试订单金额', t.testOrderAmount],
    ['退款笔数', t.refundCount],
    ['退款金额', t.refundAmount],
    ['退还手续费', t.refundFee],
    ['退款扣减金额', t.refundNet],
    ['退款失败笔数', t.failedRefundCount],
    ['结算金额', t.settledNet],
    ['风险预留', t.reserveHeld],
    ['风险预留释放', t.reserveReleased],
    ['提现笔数', t.withdrawalCount],
    ['提现金额', t.withdrawalAmount],
    ['提现手续费', t.withdrawalFee],
    ['代付笔数', t.payoutCount],
    ['代付金额', t.payoutAmount],
    ['代付手续费', t.payoutFee],
  ];
}

const accountName = (a: AccountDay) => wordOf('balance', a.account);
const movementWords = (a: AccountDay) =>
  a.movements
    .map((m) => `${wordOf('entryType', m.type)} ${m.amount < 0n ? '' : '+'}${yuan(m.amount, a.currency)}`)
    .join('；');

function daySections(s: DayStatement): Section[] {
  return [orderSection(s), refundSection(s), settlementSection(s), withdrawalSection(s), payoutSection(s)];
}

const cellText = (v: string | bigint | number, amount: boolean) =>
  typeof v === 'bigint' ? (amount ? yuan(v) : v.toString()) : typeof v === 'number' ? String(v) : field(v);

/** A day's statement as text: UTF-8 with a byte-order mark, CRLF lines, `|` between fields. */
export function renderDayTxt(s: DayStatement): Buffer {
  const lines: string[] = [];
  lines.push('商户日对账单');
  lines.push(`商户号：${s.merchant.mchNo}`);
  lines.push(`商户名称：${field(s.merchant.name)}`);
  lines.push(`对账日期：${s.day}（${s.timeZone}）`);
  lines.push(`结算方式：${wordOf('settlementMode', s.mode)}`);
  lines.push(`生成时间：${localTime(s.generatedAt, s.timeZone)}`);
  lines.push('金额单位：元');
  lines.push('');
  lines.push('[汇总]');
  for (const [label, value] of summaryLines(s.summary)) {
    lines.push(`${label}|${typeof value === 'bigint' ? yuan(value) : value}`);
  }
  lines.push('');
  lines.push('[账户余额]');
  lines.push('账户|币种|期初余额|本日变动|期末余额|变动明细');
  for (const a of s.accounts) {
    lines.push(
      [
        accountName(a),
        a.currency,
        yuan(a.opening, a.currency),
        yuan(a.change, a.currency),
        yuan(a.closing, a.currency),
        movementWords(a),
      ]
        .map(field)
        .join('|'),
    );
  }
  for (const section of daySections(s)) {
    lines.push('');
    lines.push(`[${section.title}明细]`);
    lines.push(section.header.join('|'));
    for (const row of section.rows) {
      lines.push(row.map((v, i) => cellText(v, section.amounts.includes(i))).join('|'));
    }
    if (section.total)
      lines.push(section.total.map((v, i) => cellText(v, section.amounts.includes(i))).join('|'));
  }
  lines.push('');
  lines.push('[结束]');
  return Buffer.from(BOM + lines.join(CRLF) + CRLF, 'utf8');
}

const YUAN_FORMAT = '#,##0.00;-#,##0.00';

/** Writes a workbook with exceljs' streaming writer and returns its bytes. */
async function writeWorkbook(fill: (workbook: ExcelJS.stream.xlsx.WorkbookWriter) => void): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = new Promise<void>((resolve, reject) => {
    out.on('end', resolve);
    out.on('error', reject);
  });
  // Loaded at the first workbook (see exports/stream.ts).
  const { default: ExcelJS } = await import('exceljs');
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
    stream: out,
    useStyles: true,
    useSharedStrings: false,
  });
  fill(workbook);
  await workbook.commit();
  await ended;
  return Buffer.concat(chunks);
}

function addSectionSheet(workbook: ExcelJS.stream.xlsx.WorkbookWriter, section: Section): void {
  const sheet = workbook.addWorksheet(section.title);
  sheet.columns = section.header.map((header, i) => ({
    header,
    width: section.amounts.includes(i) ? 14 : Math.max(12, header.length * 2 + 4),
    style: section.amounts.includes(i) ? { numFmt: YUAN_FORMAT } : {},
  }));
  const toCell = (v: string | bigint | number, i: number) =>
    typeof v === 'bigint' ? (section.amounts.includes(i) ? yuanNumber(v) : Number(v)) : v;
  for (const row of section.rows) sheet.addRow(row.map(toCell)).commit();
  if (section.total) {
    const total = sheet.addRow(section.total.map(toCell));
    total.font = { bold: true };
    total.commit();
  }
  sheet.commit();
}

function addAccountRows(sheet: ExcelJS.Worksheet, accounts: AccountDay[], changeLabel: string): void {
  const head = sheet.addRow(['账户', '币种', '期初余额', changeLabel, '期末余额', '变动明细']);
  head.font = { bold: true };
  head.commit();
  for (const a of accounts) {
    const row = sheet.addRow([
      accountName(a),
      a.currency,
      yuanNumber(a.opening),
      yuanNumber(a.change),
      yuanNumber(a.closing),
      movementWords(a),
    ]);
    for (const c of [3, 4, 5]) row.getCell(c).numFmt = YUAN_FORMAT;
    row.commit();
  }
}

function addHeaderRows(sheet: ExcelJS.Worksheet, title: string, pairs: [string, string][]): void {
  const titleRow = sheet.addRow([title]);
  titleRow.font = { bold: true, size: 14 };
  titleRow.commit();
  for (const pair of pairs) sheet.addRow(pair).commit();
  sheet.addRow([]).commit();
}

/** The 汇总 sheet of a day's or a month's workbook: who and when, the figures, each account's balances. */
function addSummarySheet(
  workbook: ExcelJS.stream.xlsx.WorkbookWriter,
  o: {
    title: string;
    period: [string, string];
    statement: Pick<DayStatement, 'merchant' | 'timeZone' | 'mode' | 'generatedAt' | 'accounts'>;
    figures: DaySummary;
    changeLabel: string;
  },
): void {
  const s = o.statement;
  const summary = workbook.addWorksheet('汇总');
  summary.columns = [
    { width: 20 },
    { width: 16 },
    { width: 16 },
    { width: 16 },
    { width: 16 },
    { width: 60 },
  ];
  addHeaderRows(summary, o.title, [
    ['商户号', s.merchant.mchNo],
    ['商户名称', s.merchant.name],
    o.period,
    ['时区', s.timeZone],
    ['结算方式', wordOf('settlementMode', s.mode)],
    ['生成时间', localTime(s.generatedAt, s.timeZone)],
    ['金额单位', '元'],
  ]);
  for (const [label, value] of summaryLines(o.figures)) {
    const row = summary.addRow([label, typeof value === 'bigint' ? yuanNumber(value) : value]);
    if (typeof value === 'bigint') row.getCell(2).numFmt = YUAN_FORMAT;
    row.commit();
  }
  summary.addRow([]).commit();
  addAccountRows(summary, s.accounts, o.changeLabel);
  summary.commit();
}

/** A day's statement as a workbook: 汇总, then 订单, 退款, 结算, 提现, 代付. */
export function renderDayXlsx(s: DayStatement): Promise<Buffer> {
  return writeWorkbook((workbook) => {
    addSummarySheet(workbook, {
      title: '商户日对账单',
      period: ['对账日期', s.day],
      statement: s,
      figures: s.summary,
      changeLabel: '本日变动',
    });
    for (const section of daySections(s)) addSectionSheet(workbook, section);
  });
}

const DAY_COLUMNS: [string, keyof DaySummary][] = [
  ['收款笔数', 'orderCount'],
  ['收款金额', 'orderAmount'],
  ['手续费', 'orderFee'],
  ['收款入账金额', 'orderNet'],
  ['退款笔数', 'refundCount'],
  ['退款金额', 'refundAmount'],
  ['退款扣减金额', 'refundNet'],
  ['结算金额', 'settledNet'],
  ['提现金额', 'withdrawalAmount'],
  ['代付金额', 'payoutAmount'],
];

/**
 * A month's statement as a workbook: 汇总 (the month's totals and its opening and closing balances per
 * account) and 每日汇总 (one row per day with its figures and end-of-day balances, then the totals).
 * The lines are not repeated: they are in each day's files.
 */
export function renderMonthXlsx(s: MonthStatement): Promise<Buffer> {
  return writeWorkbook((workbook) => {
    addSummarySheet(workbook, {
      title: '商户月对账单',
      period: ['对账月份', s.month],
      statement: s,
      figures: s.totals,
      changeLabel: '本月变动',
    });

    const accounts = s.accounts.map((a) => a);
    const daily = workbook.addWorksheet('每日汇总');
    const header = [
      '日期',
      ...DAY_COLUMNS.map(([label]) => label),
      ...accounts.map((a) => `${accountName(a)}日终余额${a.currency === 'CNY' ? '' : `（${a.currency}）`}`),
    ];
    const amountColumn = (i: number) =>
      i > DAY_COLUMNS.length || (i >= 1 && !DAY_COLUMNS[i - 1]![1].endsWith('Count'));
    daily.columns = header.map((h, i) => ({
      header: h,
      width: i === 0 ? 12 : 16,
      style: amountColumn(i) ? { numFmt: YUAN_FORMAT } : {},
    }));
    const figures = (t: DaySummary) =>
      DAY_COLUMNS.map(([, key]) => {
        const v = t[key];
        return typeof v === 'bigint' ? yuanNumber(v) : v;
      });
    for (const d of s.days) {
      const closing = accounts.map((a) => {
        const found = d.accounts.find((x) => x.account === a.account && x.currency === a.currency);
        return yuanNumber(found?.closing ?? 0n);
      });
      daily.addRow([d.day, ...figures(d.summary), ...closing]).commit();
    }
    const total = daily.addRow(['合计', ...figures(s.totals), ...accounts.map((a) => yuanNumber(a.closing))]);
    total.font = { bold: true };
    total.commit();
    daily.commit();
  });
}
