import { type ProColumns, ProTable } from '@ant-design/pro-components';
import { Flex, Grid, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { glossaryWord } from '../shell/financeFormat.ts';
import { yuan } from '../shell/format.ts';
import { dayRangeSearch, FiguresCell, remembered, widthOf } from '../shell/listTable.tsx';
import { Page } from '../shell/Page.tsx';
import { TwoLineCell } from '../shell/TwoLineCell.tsx';
import { useTablePageLoader } from '../shell/tablePage.ts';
import { PORTAL_API, pageParams, type SettlementRecord } from './financeTypes.ts';
import { useSubtitle } from './useSubtitle.ts';

interface SettlementQuery {
  from?: string;
  to?: string;
  current?: number;
  pageSize?: number;
}

/** 结算记录 (managers): one row per settled day: orders, gross, fee, refunds, net and the reserve. */
export function Settlements() {
  const { t } = useTranslation();
  const loadPage = useTablePageLoader();
  const screens = Grid.useBreakpoint();
  const compact = !screens.md;

  const columns: ProColumns<SettlementRecord>[] = [
    dayRangeSearch(t('merchant:settlements.range'), 'range'),
    {
      title: t('glossary:settlementRecord'),
      key: 'compact',
      hideInSearch: true,
      hideInTable: !compact,
      render: (_, row) => <CompactSettlement record={row} />,
    },
    {
      title: t('merchant:settlements.date'),
      dataIndex: 'date',
      hideInSearch: true,
      hideInTable: compact,
      width: 200,
      render: (_, row) => (
        <TwoLineCell time={row.settledAt} timeTip={t('merchant:settlements.settledAt')}>
          <Typography.Text strong className="qy-mono">
            {row.date}
          </Typography.Text>
        </TwoLineCell>
      ),
    },
    {
      title: t('merchant:settlements.mode'),
      dataIndex: 'mode',
      hideInSearch: true,
      hideInTable: compact,
      width: 140,
      render: (_, row) => (
        <Tag color={row.mode === 'direct' ? 'cyan' : 'blue'}>{glossaryWord('settlementMode', row.mode)}</Tag>
      ),
    },
    {
      title: t('merchant:settlements.orderCount'),
      dataIndex: 'orderCount',
      hideInSearch: true,
      hideInTable: compact,
      align: 'right',
      width: 100,
    },
    {
      title: t('merchant:settlements.gross'),
      dataIndex: 'gross',
      hideInSearch: true,
      hideInTable: compact,
      align: 'right',
      width: 180,
      render: (_, row) => (
        <FiguresCell
          main={yuan(row.gross)}
          figures={[
            { label: t('glossary:fee'), value: yuan(row.fee) },
            { label: t('glossary:refund'), value: yuan(row.refunds) },
          ]}
        />
      ),
    },
    {
      title: t('merchant:settlements.net'),
      dataIndex: 'net',
      hideInSearch: true,
      hideInTable: compact,
      align: 'right',
      width: 200,
      render: (_, row) => (
        <FiguresCell
          main={yuan(row.net)}
          figures={[
            row.reserve > 0 && { label: t('glossary:balance.reserved'), value: yuan(row.reserve) },
            row.reserveReleased > 0 && {
              label: t('glossary:entryType.reserve_release'),
              value: yuan(row.reserveReleased),
            },
          ]}
        />
      ),
    },
  ];

  const subTitle = useSubtitle(t('merchant:settlements.subtitle'));
  return (
    <Page title={t('glossary:settlementRecord')} subTitle={subTitle}>
      <div data-testid="settlement-table">
        <ProTable<SettlementRecord, SettlementQuery>
          rowKey="date"
          columns={columns}
          request={(query) =>
            loadPage<SettlementRecord>(
              `${PORTAL_API}/settlements`,
              { from: query.from, to: query.to, ...pageParams(query) },
              query,
            )
          }
          pagination={{ defaultPageSize: 20, showSizeChanger: true, pageSizeOptions: [10, 20, 50, 100] }}
          search={{ labelWidth: 'auto', defaultCollapsed: compact }}
          form={{ syncToUrl: false }}
          dateFormatter="string"
          options={{ density: false, reload: true, setting: true, fullScreen: false }}
          scroll={compact ? undefined : { x: widthOf(columns) }}
          columnsState={remembered('merchant.settlements')}
          size="middle"
        />
      </div>
    </Page>
  );
}

function CompactSettlement({ record }: { record: SettlementRecord }) {
  const { t } = useTranslation();
  return (
    <div>
      <Flex justify="space-between" align="center" gap={8}>
        <Typography.Text strong className="qy-mono">
          {record.date}
        </Typography.Text>
        <Typography.Text strong style={{ fontSize: 16 }}>
          {yuan(record.net)}
        </Typography.Text>
      </Flex>
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
        {t('merchant:settlements.compactLine', {
          count: record.orderCount,
          gross: yuan(record.gross),
          fee: yuan(record.fee),
        })}
      </Typography.Text>
    </div>
  );
}
