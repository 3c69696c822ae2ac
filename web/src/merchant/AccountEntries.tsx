import { type ActionType, type ProColumns, ProTable } from '@ant-design/pro-components';
import { Flex, Grid, Typography } from 'antd';
import { useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { useCursorPager } from '../shell/cursorPager.tsx';
import { ENTRY_ACCOUNTS, ENTRY_TYPES, glossaryWord, signedTone, signedYuan } from '../shell/financeFormat.ts';
import { yuan } from '../shell/format.ts';
import { dayRangeSearch, FiguresCell, remembered, widthOf } from '../shell/listTable.tsx';
import { Page } from '../shell/Page.tsx';
import { ServerExportButton } from '../shell/ServerExportButton.tsx';
import { TwoLineCell } from '../shell/TwoLineCell.tsx';
import { useRequestError } from '../shell/useRequestError.ts';
import { type AccountEntry, PORTAL_API } from './financeTypes.ts';
import { useSubtitle } from './useSubtitle.ts';

interface EntryQuery {
  from?: string;
  to?: string;
  type?: string;
  account?: string;
}

type Filters = Pick<EntryQuery, 'from' | 'to' | 'type' | 'account'>;

/**
 * 资金流水 (managers): every posting on the merchant's balances, newest first, with the balance after
 * it; filters by date, account and type, and the same filters export as CSV or Excel (the server
 * refuses more rows than the platform's export limit: its sentence says so). Pages by cursor, like the
 * order lists: an account's history grows to millions of entries, counted up to "10 000+".
 */
export function AccountEntries() {
  const { t } = useTranslation();
  const onRequestError = useRequestError();
  const actionRef = useRef<ActionType>(null);
  const { load, pager } = useCursorPager(actionRef, [10, 20, 50, 100]);
  const screens = Grid.useBreakpoint();
  const compact = !screens.md;
  const filters = useRef<Filters>({});

  const columns: ProColumns<AccountEntry>[] = [
    dayRangeSearch(t('merchant:entries.range'), 'range', 3),
    {
      title: t('glossary:accountEntries'),
      key: 'compact',
      hideInSearch: true,
      hideInTable: !compact,
      render: (_, row) => <CompactEntry entry={row} />,
    },
    {
      title: t('merchant:entries.what'),
      dataIndex: 'type',
      hideInTable: compact,
      width: 260,
      valueType: 'select',
      order: 1,
      valueEnum: Object.fromEntries(ENTRY_TYPES.map((k) => [k, { text: t(`glossary:entryType.${k}`) }])),
      render: (_, row) => (
        <TwoLineCell
          secondary={row.reference || undefined}
          secondaryTip={t('merchant:entries.reference')}
          time={row.at}
          timeTip={t('merchant:entries.at')}
        >
          <Typography.Text strong>{glossaryWord('entryType', row.type)}</Typography.Text>
        </TwoLineCell>
      ),
    },
    {
      title: t('merchant:entries.account'),
      dataIndex: 'account',
      hideInTable: compact,
      width: 150,
      valueType: 'select',
      order: 2,
      valueEnum: Object.fromEntries(ENTRY_ACCOUNTS.map((k) => [k, { text: t(`glossary:balance.${k}`) }])),
      render: (_, row) => glossaryWord('balance', row.account),
    },
    {
      title: t('merchant:entries.amount'),
      dataIndex: 'amount',
      hideInSearch: true,
      hideInTable: compact,
      align: 'right',
      width: 160,
      render: (_, row) => (
        <Typography.Text strong type={signedTone(row.amount)} data-cell="amount">
          {signedYuan(row.amount)}
        </Typography.Text>
      ),
    },
    {
      title: t('merchant:entries.balanceAfter'),
      dataIndex: 'balanceAfter',
      hideInSearch: true,
      hideInTable: compact,
      align: 'right',
      width: 160,
      render: (_, row) => <FiguresCell main={yuan(row.balanceAfter)} />,
    },
  ];

  const subTitle = useSubtitle(t('merchant:entries.subtitle'));
  return (
    <Page
      title={t('glossary:accountEntries')}
      subTitle={subTitle}
      extra={
        <ServerExportButton
          path={`${PORTAL_API}/account-entries/export`}
          params={() => filters.current}
          testId="entries-export"
        />
      }
    >
      <div data-testid="account-entry-table">
        <ProTable<AccountEntry, EntryQuery>
          rowKey="id"
          actionRef={actionRef}
          columns={columns}
          request={async (query) => {
            filters.current = { from: query.from, to: query.to, type: query.type, account: query.account };
            try {
              return await load<AccountEntry>(`${PORTAL_API}/account-entries`, { ...filters.current });
            } catch (e) {
              // Shown like any table's failure; the rows go, so none stand under filters they do not match.
              onRequestError(e as Error);
              return { data: [] as AccountEntry[], total: 0, success: false };
            }
          }}
          pagination={false}
          search={{ labelWidth: 'auto', defaultCollapsed: compact }}
          form={{ syncToUrl: false }}
          dateFormatter="string"
          options={{ density: false, reload: true, setting: true, fullScreen: false }}
          scroll={compact ? undefined : { x: widthOf(columns) }}
          columnsState={remembered('merchant.accountEntries')}
          size="middle"
        />
        {pager}
      </div>
    </Page>
  );
}

/** One entry as a small card, for phones: type and signed amount, account and balance after, time. */
function CompactEntry({ entry }: { entry: AccountEntry }) {
  const { t } = useTranslation();
  return (
    <div>
      <Flex justify="space-between" align="center" gap={8}>
        <Typography.Text strong>{glossaryWord('entryType', entry.type)}</Typography.Text>
        <Typography.Text strong type={signedTone(entry.amount)} style={{ fontSize: 16 }}>
          {signedYuan(entry.amount)}
        </Typography.Text>
      </Flex>
      <Flex justify="space-between" gap={8} wrap>
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {glossaryWord('balance', entry.account)}
        </Typography.Text>
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {t('merchant:entries.balanceAfterShort', { amount: yuan(entry.balanceAfter) })}
        </Typography.Text>
      </Flex>
      <TwoLineCell secondary={entry.reference || undefined} time={entry.at}>
        {null}
      </TwoLineCell>
    </div>
  );
}
