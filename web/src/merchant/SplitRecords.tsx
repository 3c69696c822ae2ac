import { type ActionType, type ProColumns, ProTable } from '@ant-design/pro-components';
import { Alert, Flex, Grid, Select, Space, Tabs, Tag, Typography } from 'antd';
import { useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { yuan } from '../shell/format.ts';
import { dayRangeSearch, FiguresCell, remembered, widthOf } from '../shell/listTable.tsx';
import { Page } from '../shell/Page.tsx';
import { TwoLineCell } from '../shell/TwoLineCell.tsx';
import { MEMBER_TYPES, type MemberView, marketplaceApi, type SplitRecord } from './marketplaceApi.ts';
import { useForwardPager } from './marketplacePager.tsx';
import { marketWord, SplitEndCell, splitEndName } from './marketplaceTags.tsx';
import { useSubtitle } from './useSubtitle.ts';

type View = 'out' | 'in';

interface RecordQuery {
  from?: string;
  to?: string;
}

const STATE_COLOR: Record<string, string> = {
  pending: 'processing',
  settled: 'success',
};

/**
 * 分账记录: two tabs, 我分出去的 (what the merchant's orders split to members and its commissions)
 * and 分给我的 (what was split to one member, chosen with the picker, since that view is a member's).
 */
export function SplitRecords() {
  const { t } = useTranslation();
  const [view, setView] = useState<View>('out');
  const [memberNo, setMemberNo] = useState<string | undefined>(undefined);
  const subTitle = useSubtitle(t('merchant:marketplace.splitRecords.subtitle'));
  return (
    <Page title={t('merchant:marketplace.splitRecords.title')} subTitle={subTitle}>
      <Tabs
        activeKey={view}
        onChange={(key) => setView(key as View)}
        items={[
          { key: 'out', label: t('merchant:marketplace.splitRecords.out') },
          { key: 'in', label: t('merchant:marketplace.splitRecords.in') },
        ]}
      />
      {view === 'in' && (
        <Flex vertical gap={8} style={{ marginBottom: 16 }}>
          <MemberPicker value={memberNo} onChange={setMemberNo} />
          {!memberNo && (
            <Alert type="info" showIcon message={t('merchant:marketplace.splitRecords.inHint')} />
          )}
        </Flex>
      )}
      {(view === 'out' || memberNo) && (
        <RecordTable key={`${view}-${memberNo ?? ''}`} view={view} memberNo={memberNo} />
      )}
    </Page>
  );
}

function RecordTable({ view, memberNo }: { view: View; memberNo?: string }) {
  const { t } = useTranslation();
  const screens = Grid.useBreakpoint();
  const compact = !screens.md;
  const actionRef = useRef<ActionType>(null);
  const { load, pager } = useForwardPager(actionRef);

  const columns: ProColumns<SplitRecord>[] = [
    dayRangeSearch(t('merchant:marketplace.splitRecords.range'), 'range', 1),
    {
      title: t('merchant:marketplace.splitRecords.record'),
      key: 'compact',
      hideInSearch: true,
      hideInTable: !compact,
      render: (_, row) => (
        <div>
          <Flex justify="space-between" align="center" gap={8}>
            <Typography.Text strong style={{ fontSize: 16 }}>
              {yuan(row.amount)}
            </Typography.Text>
            <Space size={4}>
              <KindTag kind={row.kind} />
              <StateTag state={row.state} />
            </Space>
          </Flex>
          <div style={{ fontSize: 12 }}>
            {splitEndName(row.from)} → {splitEndName(row.to)}
            {row.refunded > 0 &&
              ` · ${t('merchant:marketplace.splitRecords.refundedPart', { amount: yuan(row.refunded) })}`}
          </div>
          <TwoLineCell secondary={row.orderNo} time={row.createdAt}>
            {null}
          </TwoLineCell>
        </div>
      ),
    },
    {
      title: t('glossary:orderNo'),
      dataIndex: 'orderNo',
      hideInSearch: true,
      hideInTable: compact,
      width: 230,
      render: (_, row) => (
        <TwoLineCell time={row.createdAt} timeTip={t('merchant:marketplace.splitRecords.createdAt')}>
          <Typography.Text className="qy-mono" copyable>
            {row.orderNo}
          </Typography.Text>
        </TwoLineCell>
      ),
    },
    {
      title: t('merchant:marketplace.splitRecords.kind'),
      dataIndex: 'kind',
      hideInSearch: true,
      hideInTable: compact,
      width: 100,
      render: (_, row) => <KindTag kind={row.kind} />,
    },
    {
      title: t('merchant:marketplace.splitRecords.from'),
      key: 'from',
      hideInSearch: true,
      hideInTable: compact,
      width: 165,
      render: (_, row) => <SplitEndCell end={row.from} />,
    },
    {
      title: t('merchant:marketplace.splitRecords.to'),
      key: 'to',
      hideInSearch: true,
      hideInTable: compact,
      width: 165,
      render: (_, row) => <SplitEndCell end={row.to} />,
    },
    {
      title: t('merchant:marketplace.splitRecords.amount'),
      dataIndex: 'amount',
      hideInSearch: true,
      hideInTable: compact,
      align: 'right',
      width: 120,
      render: (_, row) => (
        <FiguresCell
          main={yuan(row.amount)}
          figures={[
            row.refunded > 0 && {
              label: t('merchant:marketplace.splitRecords.refunded'),
              value: yuan(row.refunded),
            },
          ]}
        />
      ),
    },
    {
      title: t('merchant:marketplace.splitRecords.state'),
      dataIndex: 'state',
      hideInSearch: true,
      hideInTable: compact,
      width: 150,
      render: (_, row) => <StateTag state={row.state} />,
    },
  ];

  return (
    <div data-testid={`split-record-table-${view}`}>
      <ProTable<SplitRecord, RecordQuery>
        rowKey={(row) => `${row.orderNo}-${row.kind}-${row.to.memberNo ?? 'merchant'}-${row.createdAt}`}
        actionRef={actionRef}
        columns={columns}
        request={(query) => {
          const filters = { view, memberNo, from: query.from, to: query.to };
          return load(filters, (cursor) => marketplaceApi.splitRecords(filters, cursor));
        }}
        pagination={false}
        search={{ labelWidth: 'auto', defaultCollapsed: compact }}
        form={{ syncToUrl: false }}
        dateFormatter="string"
        options={{ density: false, reload: true, setting: true, fullScreen: false }}
        scroll={compact ? undefined : { x: widthOf(columns) }}
        columnsState={remembered(`merchant.splitRecords.${view}`)}
        size="middle"
      />
      {pager}
    </div>
  );
}

function KindTag({ kind }: { kind: SplitRecord['kind'] }) {
  return (
    <Tag color={kind === 'commission' ? 'purple' : 'blue'} style={{ marginInlineEnd: 0 }}>
      {marketWord('splitRecords.kindWord', kind)}
    </Tag>
  );
}

function StateTag({ state }: { state: string }) {
  return (
    <Tag color={STATE_COLOR[state] ?? 'default'} data-state={state} style={{ marginInlineEnd: 0 }}>
      {marketWord('splitRecords.stateWord', state)}
    </Tag>
  );
}

/** Finds a member of either type by number, member ID or name, as the member lists do. */
function MemberPicker({ value, onChange }: { value?: string; onChange: (memberNo?: string) => void }) {
  const { t } = useTranslation();
  const [options, setOptions] = useState<{ value: string; label: string }[]>([]);
  const [searching, setSearching] = useState(false);
  const sequence = useRef(0);
  const search = async (q: string) => {
    const mine = ++sequence.current;
    setSearching(true);
    try {
      const pages = await Promise.all(
        MEMBER_TYPES.map((type) => marketplaceApi.members({ type, q: q.trim() || undefined })),
      );
      if (mine !== sequence.current) return;
      const members: MemberView[] = pages.flatMap((p) => p.items);
      setOptions(members.map((m) => ({ value: m.memberNo, label: `${m.name} (${m.memberNo})` })));
    } catch {
      if (mine === sequence.current) setOptions([]);
    } finally {
      if (mine === sequence.current) setSearching(false);
    }
  };
  return (
    <Select
      showSearch
      allowClear
      value={value}
      placeholder={t('merchant:marketplace.splitRecords.memberPlaceholder')}
      aria-label={t('merchant:marketplace.splitRecords.member')}
      filterOption={false}
      onSearch={(q) => void search(q)}
      onFocus={() => options.length === 0 && void search('')}
      onChange={(memberNo?: string) => onChange(memberNo)}
      loading={searching}
      options={options}
      style={{ width: '100%', maxWidth: 420 }}
      data-testid="split-member-picker"
    />
  );
}
