import { type ProColumns, ProTable } from '@ant-design/pro-components';
import { Descriptions, Drawer, Flex, Grid, Skeleton, Space, Typography } from 'antd';
import { useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { ErrorAlert } from '../shell/ErrorAlert.tsx';
import { PAYOUT_STATES } from '../shell/financeFormat.ts';
import { dateTime, yuan } from '../shell/format.ts';
import {
  dayRangeSearch,
  FiguresCell,
  RowAction,
  remembered,
  useNumberSearchRules,
  widthOf,
} from '../shell/listTable.tsx';
import { Page } from '../shell/Page.tsx';
import { openableRow } from '../shell/rowClick.ts';
import { type ExportParams, ServerExportButton } from '../shell/ServerExportButton.tsx';
import { TwoLineCell } from '../shell/TwoLineCell.tsx';
import { useTablePageLoader } from '../shell/tablePage.ts';
import { useApi } from '../shell/useApi.ts';
import { PayoutStateTag } from '../shell/withdrawalProgress.tsx';
import { type Payout, PORTAL_API, pageParams } from './financeTypes.ts';
import { useSubtitle } from './useSubtitle.ts';

interface PayoutQuery {
  q?: string;
  state?: string;
  from?: string;
  to?: string;
  current?: number;
  pageSize?: number;
}

/**
 * 代付 (managers): the payouts the merchant's systems asked for through the API (to third parties'
 * bank accounts), the payee masked; the detail has the fee, the times and a failure's reason.
 */
export function Payouts() {
  const { t } = useTranslation();
  /** The list's current filters, which its export takes. */
  const filters = useRef<ExportParams>({});
  const loadPage = useTablePageLoader();
  const screens = Grid.useBreakpoint();
  const compact = !screens.md;
  const numberRules = useNumberSearchRules();
  const [params, setParams] = useSearchParams();
  const open = params.get('payout');
  const show = (payoutNo: string | null) => {
    const next = new URLSearchParams(params);
    if (payoutNo) next.set('payout', payoutNo);
    else next.delete('payout');
    setParams(next, { replace: !payoutNo });
  };

  const columns: ProColumns<Payout>[] = [
    {
      title: t('merchant:payouts.search'),
      dataIndex: 'q',
      hideInTable: true,
      fieldProps: { allowClear: true, placeholder: t('merchant:payouts.searchPlaceholder') },
      formItemProps: { rules: numberRules },
      order: 3,
    },
    {
      title: t('glossary:payout'),
      key: 'compact',
      hideInSearch: true,
      hideInTable: !compact,
      render: (_, row) => (
        <div>
          <Flex justify="space-between" align="center" gap={8}>
            <Typography.Text strong style={{ fontSize: 16 }}>
              {yuan(row.amount, row.currency)}
            </Typography.Text>
            <PayoutStateTag state={row.state} />
          </Flex>
          <div style={{ fontSize: 12 }}>
            {row.payee.name} · {row.payee.bankName} {row.payee.accountNoMasked}
          </div>
          <Flex justify="space-between" gap={8} wrap>
            <Typography.Text type="secondary" className="qy-mono" style={{ fontSize: 12 }}>
              {row.payoutNo}
            </Typography.Text>
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {dateTime(row.createdAt)}
            </Typography.Text>
          </Flex>
        </div>
      ),
    },
    {
      title: t('glossary:payoutNo'),
      dataIndex: 'payoutNo',
      hideInSearch: true,
      hideInTable: compact,
      width: 240,
      render: (_, row) => (
        <TwoLineCell
          secondary={row.kind === 'withdrawal' ? row.withdrawNo : row.mchPayoutNo}
          secondaryTip={t(row.kind === 'withdrawal' ? 'glossary:withdrawNo' : 'glossary:mchPayoutNo')}
          time={row.createdAt}
          timeTip={t('merchant:payouts.createdAt')}
        >
          <RowAction className="qy-mono" onClick={() => show(row.payoutNo)}>
            {row.payoutNo}
          </RowAction>
        </TwoLineCell>
      ),
    },
    {
      title: t('merchant:payouts.payee'),
      dataIndex: 'payee',
      hideInSearch: true,
      hideInTable: compact,
      width: 220,
      render: (_, row) => (
        <Space direction="vertical" size={0}>
          <span>{row.payee.name}</span>
          <Typography.Text type="secondary" className="qy-mono" style={{ fontSize: 12 }}>
            {row.payee.bankName} {row.payee.accountNoMasked}
          </Typography.Text>
        </Space>
      ),
    },
    {
      title: t('merchant:payouts.figures'),
      dataIndex: 'amount',
      hideInSearch: true,
      hideInTable: compact,
      align: 'right',
      width: 160,
      render: (_, row) => (
        <FiguresCell
          main={yuan(row.amount, row.currency)}
          figures={[{ label: t('glossary:fee'), value: yuan(row.fee, row.currency) }]}
        />
      ),
    },
    {
      title: t('merchant:payouts.state'),
      dataIndex: 'state',
      hideInTable: compact,
      width: 150,
      valueType: 'select',
      order: 2,
      valueEnum: Object.fromEntries(PAYOUT_STATES.map((s) => [s, { text: t(`glossary:payoutState.${s}`) }])),
      render: (_, row) => (
        <Space direction="vertical" size={2} data-cell="state">
          <PayoutStateTag state={row.state} />
          {row.paidAt && (
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {dateTime(row.paidAt)}
            </Typography.Text>
          )}
        </Space>
      ),
    },
    dayRangeSearch(t('merchant:payouts.createdRange'), 'createdRange', 1),
    {
      title: t('merchant:payouts.actions'),
      key: 'actions',
      valueType: 'option',
      hideInTable: compact,
      width: 90,
      render: (_, row) => (
        <RowAction onClick={() => show(row.payoutNo)}>{t('merchant:payouts.detail')}</RowAction>
      ),
    },
  ];

  const subTitle = useSubtitle(t('merchant:payouts.subtitle'));
  return (
    <Page title={t('glossary:payout')} subTitle={subTitle}>
      <div data-testid="payout-table">
        <ProTable<Payout, PayoutQuery>
          rowKey="payoutNo"
          columns={columns}
          request={(query) => {
            filters.current = {
              q: query.q?.trim(),
              state: query.state,
              from: query.from,
              to: query.to,
            };
            return loadPage<Payout>(
              `${PORTAL_API}/payouts`,
              { ...filters.current, ...pageParams(query) },
              query,
            );
          }}
          toolBarRender={() => [
            <ServerExportButton
              key="export"
              path={`${PORTAL_API}/payouts/export`}
              params={() => filters.current}
              testId="payouts-export"
            />,
          ]}
          pagination={{ defaultPageSize: 20, showSizeChanger: true, pageSizeOptions: [10, 20, 50, 100] }}
          search={{ labelWidth: 'auto', defaultCollapsed: compact }}
          form={{ syncToUrl: false, ignoreRules: false }}
          dateFormatter="string"
          options={{ density: false, reload: true, setting: true, fullScreen: false }}
          scroll={compact ? undefined : { x: widthOf(columns) }}
          columnsState={remembered('merchant.payouts')}
          size="middle"
          onRow={(row) => openableRow(() => show(row.payoutNo), row.payoutNo)}
        />
      </div>
      <PayoutDrawer payoutNo={open} onClose={() => show(null)} />
    </Page>
  );
}

function PayoutDrawer({ payoutNo, onClose }: { payoutNo: string | null; onClose: () => void }) {
  const { t } = useTranslation();
  const screens = Grid.useBreakpoint();
  const { data, loading, error } = useApi<Payout>(
    payoutNo ? `${PORTAL_API}/payouts/${encodeURIComponent(payoutNo)}` : null,
  );
  const p = data && data.payoutNo === payoutNo ? data : undefined;
  return (
    <Drawer
      open={payoutNo !== null}
      onClose={onClose}
      width={screens.md ? 600 : '100%'}
      title={t('merchant:payouts.detailTitle')}
      destroyOnHidden
    >
      <div data-testid="payout-detail">
        <ErrorAlert error={error} />
        {!p && loading && <Skeleton active paragraph={{ rows: 8 }} />}
        {p && (
          <>
            <Flex align="center" justify="space-between" wrap gap={12} style={{ marginBottom: 20 }}>
              <div>
                <Typography.Text type="secondary">{t('merchant:payouts.amount')}</Typography.Text>
                <div style={{ fontSize: 28, fontWeight: 600, lineHeight: 1.3 }}>
                  {yuan(p.amount, p.currency)}
                </div>
              </div>
              <PayoutStateTag state={p.state} />
            </Flex>
            <Descriptions bordered size="small" column={1} styles={{ label: { width: 140 } }}>
              <Descriptions.Item label={t('glossary:payoutNo')}>
                <Typography.Text copyable className="qy-mono">
                  {p.payoutNo}
                </Typography.Text>
              </Descriptions.Item>
              {p.kind === 'withdrawal' ? (
                <Descriptions.Item label={t('glossary:withdrawNo')}>
                  <span className="qy-mono">{p.withdrawNo}</span>
                </Descriptions.Item>
              ) : (
                <Descriptions.Item label={t('glossary:mchPayoutNo')}>
                  <span className="qy-mono">{p.mchPayoutNo}</span>
                </Descriptions.Item>
              )}
              <Descriptions.Item label={t('merchant:payouts.payee')}>
                <Space direction="vertical" size={0}>
                  <span>{p.payee.name}</span>
                  <span className="qy-mono">
                    {p.payee.bankName} {p.payee.accountNoMasked}
                  </span>
                </Space>
              </Descriptions.Item>
              <Descriptions.Item label={t('glossary:fee')}>{yuan(p.fee, p.currency)}</Descriptions.Item>
              {p.kind !== 'withdrawal' && (
                <Descriptions.Item label={t('merchant:payouts.debit')}>
                  {yuan(p.amount + p.fee, p.currency)}
                </Descriptions.Item>
              )}
              {p.remark && (
                <Descriptions.Item label={t('merchant:payouts.remark')}>{p.remark}</Descriptions.Item>
              )}
              <Descriptions.Item label={t('merchant:payouts.createdAt')}>
                {dateTime(p.createdAt)}
              </Descriptions.Item>
              <Descriptions.Item label={t('merchant:payouts.submittedAt')}>
                {dateTime(p.submittedAt)}
              </Descriptions.Item>
              {p.paidAt && (
                <Descriptions.Item label={t('merchant:payouts.paidAt')}>
                  {dateTime(p.paidAt)}
                </Descriptions.Item>
              )}
              {p.failedAt && (
                <Descriptions.Item label={t('merchant:payouts.failedAt')}>
                  {dateTime(p.failedAt)}
                </Descriptions.Item>
              )}
              {p.reason && (
                <Descriptions.Item label={t('merchant:payouts.reason')}>
                  <Typography.Text type="danger">{p.reason}</Typography.Text>
                </Descriptions.Item>
              )}
            </Descriptions>
          </>
        )}
      </div>
    </Drawer>
  );
}
