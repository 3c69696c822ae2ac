import { ProCard, type ProColumns, ProTable } from '@ant-design/pro-components';
import { Col, DatePicker, Empty, Flex, Row, Statistic, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useMemo, useState } from 'react';
import { qs } from '../api.ts';
import { type AgentArea, useAgentWords } from './agents.tsx';
import { Chart, type ChartOption, compactNumber } from './Chart.tsx';
import { ErrorAlert } from './ErrorAlert.tsx';
import { ExportButton } from './ExportButton.tsx';
import { signedTone, signedYuan } from './financeFormat.ts';
import { dateTime, yuan } from './format.ts';
import { TwoLineCell } from './TwoLineCell.tsx';
import type { ExportColumn } from './tableExport.ts';
import { useTablePageLoader } from './tablePage.ts';
import { useApi } from './useApi.ts';

interface Figures {
  orders: number;
  amount: number;
  commission: number;
}

export interface CommissionSummary {
  currency: string;
  /** The window's first and last local days (the platform's calendar). */
  fromDate: string;
  toDate: string;
  /** frozen: what the agent's withdrawals under way hold. */
  balance: { pending: number; available: number; frozen: number };
  byDay: (Figures & { day: string })[];
  byProduct: (Figures & { productCode: string; productName: string })[];
  byMerchant: (Figures & { mchNo: string; merchantName: string })[];
}

interface CommissionEntry {
  id: string | number;
  createdAt: string;
  kind: 'payment' | 'refund' | 'refund_failed' | 'settle' | 'withdraw' | 'withdraw_returned';
  /** The order's number (payment) or the refund's; none for a settlement. */
  reference: string | null;
  amount: number;
  account: 'pending' | 'available';
}

const DAY = 'YYYY-MM-DD';

/**
 * 佣金: an agent's commission balances, per day (bars), per product and per merchant over a period,
 * and its entries. `base` is /api/agent/commission or /api/admin/agents/:agentNo/commission.
 */
export function CommissionPanel({
  area,
  base,
  fileName,
}: {
  area: AgentArea;
  base: string;
  fileName: string;
}) {
  const w = useAgentWords(area);
  const load = useTablePageLoader();
  // None chosen: the server's last 30 days, in the platform's calendar (the browser's may be another).
  const [range, setRange] = useState<[Dayjs, Dayjs] | null>(null);
  const summary = useApi<CommissionSummary>(
    `${base}${qs(range ? { from: range[0].format(DAY), to: range[1].format(DAY) } : {})}`,
  );
  const data = summary.data;
  const from = range?.[0].format(DAY) ?? data?.fromDate ?? '';
  const to = range?.[1].format(DAY) ?? data?.toDate ?? '';
  const currency = data?.currency ?? 'CNY';
  const total = (data?.byDay ?? []).reduce((sum, d) => sum + d.commission, 0);

  const option = useMemo<ChartOption>(
    () => ({
      grid: { left: 56, right: 16, top: 24, bottom: 32 },
      tooltip: {
        trigger: 'axis',
        valueFormatter: (v) => yuan(Number(v), currency),
      },
      xAxis: { type: 'category', data: (data?.byDay ?? []).map((d) => d.day.slice(5)) },
      yAxis: {
        type: 'value',
        position: 'left',
        axisLabel: { formatter: (v: number) => compactNumber(v / 100) },
      },
      series: [
        {
          type: 'bar',
          name: w('commission.commission'),
          data: (data?.byDay ?? []).map((d) => d.commission),
          itemStyle: { color: '#0958d9' },
          barMaxWidth: 28,
        },
      ],
    }),
    [data, currency, w],
  );

  const figures = <T extends Figures>(): ProColumns<T>[] => [
    { title: w('commission.orders'), dataIndex: 'orders', align: 'right', width: 90 },
    {
      title: w('commission.amount'),
      dataIndex: 'amount',
      align: 'right',
      width: 130,
      render: (_, r) => yuan(r.amount, currency),
    },
    {
      title: w('commission.commission'),
      dataIndex: 'commission',
      align: 'right',
      width: 130,
      render: (_, r) => <Typography.Text strong>{yuan(r.commission, currency)}</Typography.Text>,
    },
  ];

  // Every table saves as CSV or Excel under its own headings (the entries: the page shown).
  const figureExport = <T extends Figures>(first: ExportColumn<T>[]): ExportColumn<T>[] => [
    ...first,
    { title: w('commission.orders'), value: (r) => r.orders },
    { title: w('commission.amount'), value: (r) => r.amount, money: true },
    { title: w('commission.commission'), value: (r) => r.commission, money: true },
  ];
  const exportName = (table: string) => `${fileName}-${table}-${from}-${to}`;
  const [entries, setEntries] = useState<CommissionEntry[]>([]);

  return (
    <Flex vertical gap={16} data-testid="commission">
      <Flex wrap gap={12} align="center" justify="space-between">
        <DatePicker.RangePicker
          aria-label={w('commission.range')}
          value={range ?? (data ? [dayjs(data.fromDate), dayjs(data.toDate)] : null)}
          allowClear={false}
          onChange={(v) => v?.[0] && v[1] && setRange([v[0], v[1]])}
        />
      </Flex>
      {summary.error ? <ErrorAlert error={summary.error} /> : null}
      {summary.error && !data ? null : (
        <>
          <Row gutter={[16, 16]}>
            {(
              [
                ['pending', data?.balance.pending],
                ['available', data?.balance.available],
                ['frozen', data?.balance.frozen],
                ['total', data ? total : undefined],
              ] as const
            ).map(([key, value]) => (
              <Col xs={24} sm={12} lg={6} key={key}>
                <ProCard bordered loading={summary.loading && !data}>
                  <Statistic
                    title={w(`commission.${key}`)}
                    value={value === undefined ? '-' : yuan(value, currency)}
                  />
                </ProCard>
              </Col>
            ))}
          </Row>
          <ProCard
            bordered
            title={w('commission.byDay')}
            extra={
              <ExportButton
                basename={exportName('day')}
                testId="commission-export-day"
                rows={data?.byDay ?? []}
                columns={figureExport<CommissionSummary['byDay'][number]>([
                  { title: w('commission.day'), value: (d) => d.day },
                ])}
              />
            }
          >
            {data && data.byDay.length === 0 ? (
              <Empty description={w('commission.empty')} />
            ) : (
              <Chart
                option={option}
                height={260}
                loading={summary.loading}
                ariaLabel={w('commission.byDayAria')}
              />
            )}
          </ProCard>
          <Row gutter={[16, 16]}>
            <Col xs={24} lg={12}>
              <ProTable<CommissionSummary['byProduct'][number]>
                rowKey="productCode"
                headerTitle={w('commission.byProduct')}
                search={false}
                options={false}
                toolBarRender={() => [
                  <ExportButton
                    key="export"
                    basename={exportName('product')}
                    testId="commission-export-product"
                    rows={data?.byProduct ?? []}
                    columns={figureExport<CommissionSummary['byProduct'][number]>([
                      { title: w('commission.productCode'), value: (p) => p.productCode },
                      { title: w('commission.product'), value: (p) => p.productName },
                    ])}
                  />,
                ]}
                pagination={false}
                cardBordered
                loading={summary.loading}
                dataSource={data?.byProduct ?? []}
                scroll={{ x: 'max-content' }}
                columns={[
                  {
                    title: w('commission.product'),
                    dataIndex: 'productName',
                    width: 160,
                    render: (_, p) => (
                      <TwoLineCell secondary={p.productCode}>
                        <span>{p.productName || p.productCode}</span>
                      </TwoLineCell>
                    ),
                  },
                  ...figures<CommissionSummary['byProduct'][number]>(),
                ]}
              />
            </Col>
            <Col xs={24} lg={12}>
              <ProTable<CommissionSummary['byMerchant'][number]>
                rowKey="mchNo"
                headerTitle={w('commission.byMerchant')}
                search={false}
                options={false}
                toolBarRender={() => [
                  <ExportButton
                    key="export"
                    basename={exportName('merchant')}
                    testId="commission-export-merchant"
                    rows={data?.byMerchant ?? []}
                    columns={figureExport<CommissionSummary['byMerchant'][number]>([
                      { title: w('commission.mchNo'), value: (m) => m.mchNo },
                      { title: w('commission.merchant'), value: (m) => m.merchantName },
                    ])}
                  />,
                ]}
                pagination={false}
                cardBordered
                loading={summary.loading}
                dataSource={data?.byMerchant ?? []}
                scroll={{ x: 'max-content' }}
                columns={[
                  {
                    title: w('commission.merchant'),
                    dataIndex: 'merchantName',
                    width: 160,
                    render: (_, m) => (
                      <TwoLineCell secondary={m.mchNo}>
                        <span>{m.merchantName || m.mchNo}</span>
                      </TwoLineCell>
                    ),
                  },
                  ...figures<CommissionSummary['byMerchant'][number]>(),
                ]}
              />
            </Col>
          </Row>
          <ProTable<CommissionEntry>
            rowKey="id"
            headerTitle={w('commission.entries')}
            search={false}
            options={{ reload: true, density: false, setting: false }}
            cardBordered
            pagination={{ defaultPageSize: 20 }}
            scroll={{ x: 'max-content' }}
            request={(params) => load<CommissionEntry>(`${base}/entries`, {}, params)}
            onLoad={setEntries}
            toolBarRender={() => [
              <ExportButton
                key="export"
                basename={`${fileName}-entries`}
                testId="commission-export-entries"
                rows={entries}
                columns={[
                  { title: w('commission.entryTime'), value: (e) => dateTime(e.createdAt) },
                  { title: w('commission.reference'), value: (e) => e.reference ?? '' },
                  { title: w('commission.kind'), value: (e) => w(`commission.kindWord.${e.kind}`) },
                  { title: w('commission.entryAmount'), value: (e) => e.amount, money: true },
                  { title: w('commission.account'), value: (e) => w(`commission.accountWord.${e.account}`) },
                ]}
              />,
            ]}
            columns={[
              {
                title: w('commission.reference'),
                dataIndex: 'reference',
                width: 220,
                render: (_, e) => (
                  <TwoLineCell time={e.createdAt} timeTip={w('commission.entryTime')}>
                    <span className="qy-mono">{e.reference ?? '-'}</span>
                  </TwoLineCell>
                ),
              },
              {
                title: w('commission.kind'),
                dataIndex: 'kind',
                width: 130,
                render: (_, e) => w(`commission.kindWord.${e.kind}`),
              },
              {
                title: w('commission.entryAmount'),
                dataIndex: 'amount',
                align: 'right',
                width: 130,
                render: (_, e) => (
                  <Typography.Text type={signedTone(e.amount)}>
                    {signedYuan(e.amount, currency)}
                  </Typography.Text>
                ),
              },
              {
                title: w('commission.account'),
                dataIndex: 'account',
                width: 110,
                render: (_, e) => w(`commission.accountWord.${e.account}`),
              },
            ]}
          />
        </>
      )}
    </Flex>
  );
}
