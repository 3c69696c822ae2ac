import { type ProColumns, ProTable } from '@ant-design/pro-components';
import { Flex, Grid, Tag, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api.ts';
import { type AgentView, RatesTable, type RateTerms, termsText, useAgentWords } from '../shell/agents.tsx';
import { ErrorAlert } from '../shell/ErrorAlert.tsx';
import { RowAction } from '../shell/listTable.tsx';
import { Page } from '../shell/Page.tsx';
import { TwoLineCell } from '../shell/TwoLineCell.tsx';
import { useApi } from '../shell/useApi.ts';
import { productsOf, useAgentMe } from './me.ts';
import { RatesDrawer, type RatesTarget } from './RatesDrawer.tsx';

/** One level directly below this agent: a sub-agent or a merchant, with its rates. */
interface Below {
  kind: 'agent' | 'merchant';
  no: string;
  name: string;
  rates: RateTerms[];
}

/** The most levels below whose rates the page reads at once. */
const BELOW_LIMIT = 50;

/** 我的费率: this agent's rates, and the rates it gives its direct sub-agents and merchants. */
export function RatesPage() {
  const { t } = useTranslation(['agent', 'common']);
  const w = useAgentWords('agent');
  const screens = Grid.useBreakpoint();
  const me = useAgentMe();
  const subtree = useApi<{ items: AgentView[] }>('/api/agent/agents?limit=200');
  const merchants = useApi<{ items: { mchNo: string; name: string; agentNo: string | null }[] }>(
    '/api/agent/merchants?limit=200',
  );
  const [below, setBelow] = useState<Below[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [target, setTarget] = useState<RatesTarget | null>(null);
  const [version, setVersion] = useState(0);
  const self = me.data;

  useEffect(() => {
    if (!self || !subtree.data || !merchants.data) return;
    const direct: Omit<Below, 'rates'>[] = [
      ...subtree.data.items
        .filter((a) => a.parentNo === self.agentNo)
        .map((a) => ({ kind: 'agent' as const, no: a.agentNo, name: a.name })),
      ...merchants.data.items
        .filter((m) => m.agentNo === self.agentNo)
        .map((m) => ({ kind: 'merchant' as const, no: m.mchNo, name: m.name })),
    ].slice(0, BELOW_LIMIT);
    let live = true;
    void version;
    Promise.all(
      direct.map(async (d) => ({
        ...d,
        rates: (
          await api.get<{ items: RateTerms[] }>(
            d.kind === 'agent' ? `/api/agent/agents/${d.no}/rates` : `/api/agent/merchants/${d.no}/rates`,
          )
        ).items,
      })),
    )
      .then((rows) => live && setBelow(rows))
      .catch((e) => live && setError(e));
    return () => {
      live = false;
    };
  }, [self, subtree.data, merchants.data, version]);

  const products = productsOf(self?.rates);
  const columns: ProColumns<Below>[] = [
    {
      title: t('rates.level'),
      dataIndex: 'no',
      width: 220,
      render: (_, b) => (
        <TwoLineCell secondary={b.no}>
          <span>
            {b.name}{' '}
            <Tag bordered={false} color={b.kind === 'agent' ? 'geekblue' : 'cyan'}>
              {b.kind === 'agent' ? t('rates.kindAgent') : t('rates.kindMerchant')}
            </Tag>
          </span>
        </TwoLineCell>
      ),
    },
    ...products.map(
      (p): ProColumns<Below> => ({
        title: p.name,
        key: p.code,
        width: 180,
        render: (_, b) => {
          const rate = b.rates.find((r) => r.productCode === p.code);
          return rate ? (
            <span style={{ whiteSpace: 'nowrap' }}>{termsText(w, rate)}</span>
          ) : (
            <Typography.Text type="secondary">-</Typography.Text>
          );
        },
      }),
    ),
    {
      title: t('common:actions.more'),
      key: 'actions',
      valueType: 'option',
      width: 110,
      render: (_, b) => (
        <RowAction onClick={() => setTarget({ kind: b.kind, no: b.no, name: b.name, above: self?.rates })}>
          {w('rates.set')}
        </RowAction>
      ),
    },
  ];

  return (
    <Page title={w('rates.mine')} subTitle={screens.md ? w('rates.chainRule') : undefined}>
      <Flex vertical gap={16}>
        {me.error || error ? <ErrorAlert error={me.error ?? error} /> : null}
        <RatesTable
          area="agent"
          who={self?.name ?? ''}
          title={w('rates.mine')}
          rates={self?.rates}
          loading={me.loading}
          products={products}
          testId="my-rates"
        />
        <div data-testid="rates-below">
          <ProTable<Below>
            rowKey={(b) => `${b.kind}:${b.no}`}
            headerTitle={t('rates.below')}
            tooltip={t('rates.belowHint')}
            search={false}
            options={false}
            pagination={false}
            cardBordered
            loading={below === null && !error}
            dataSource={below ?? []}
            scroll={{ x: 'max-content' }}
            columns={columns}
          />
        </div>
      </Flex>
      <RatesDrawer
        target={target}
        onClose={() => {
          setTarget(null);
          setVersion((v) => v + 1);
        }}
      />
    </Page>
  );
}
