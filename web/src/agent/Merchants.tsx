import { PlusOutlined } from '@ant-design/icons';
import {
  type ActionType,
  ModalForm,
  type ProColumns,
  ProFormText,
  ProTable,
} from '@ant-design/pro-components';
import { Alert, App, Button, Grid, Tag } from 'antd';
import { useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api.ts';
import { type AgentView, type RateTerms, useAgentWords } from '../shell/agents.tsx';
import { errorText } from '../shell/errors.ts';
import { RowAction, remembered, widthOf } from '../shell/listTable.tsx';
import { Page } from '../shell/Page.tsx';
import { TwoLineCell } from '../shell/TwoLineCell.tsx';
import { useTablePageLoader } from '../shell/tablePage.ts';
import { useApi } from '../shell/useApi.ts';
import { useAgentMe } from './me.ts';
import { RatesDrawer, type RatesTarget } from './RatesDrawer.tsx';

type MerchantState = 'pending' | 'enabled' | 'disabled' | 'rejected';

interface AgentMerchant {
  mchNo: string;
  name: string;
  shortName: string;
  contact: string;
  state: MerchantState;
  reviewRemark?: string;
  createdAt: string;
  agentNo: string | null;
}

const STATE_COLORS: Record<MerchantState, string> = {
  pending: 'gold',
  enabled: 'green',
  disabled: 'default',
  rejected: 'red',
};

/** 新建商户 (报件): a merchant under this agent, waiting for the platform's review. */
function CreateMerchantForm({ onDone }: { onDone: () => void }) {
  const w = useAgentWords('agent');
  const { message } = App.useApp();
  return (
    <ModalForm<{ name: string; shortName?: string; contact?: string }>
      title={w('merchant.createTitle')}
      width={520}
      trigger={
        <Button type="primary" icon={<PlusOutlined />}>
          {w('merchant.create')}
        </Button>
      }
      modalProps={{ destroyOnHidden: true }}
      onFinish={async (v) => {
        try {
          const merchant = await api.post<AgentMerchant>('/api/agent/merchants', {
            name: v.name.trim(),
            shortName: v.shortName?.trim() || undefined,
            contact: v.contact?.trim() || undefined,
          });
          message.success(w('merchant.created', { mchNo: merchant.mchNo }));
          onDone();
          return true;
        } catch (e) {
          message.error(errorText(e));
          return false;
        }
      }}
    >
      <Alert type="info" showIcon message={w('merchant.createHint')} style={{ marginBottom: 16 }} />
      <ProFormText
        name="name"
        label={w('merchant.name')}
        rules={[{ required: true, whitespace: true, message: w('merchant.nameRequired') }, { max: 128 }]}
      />
      <ProFormText name="shortName" label={w('merchant.shortName')} rules={[{ max: 64 }]} />
      <ProFormText name="contact" label={w('merchant.contact')} rules={[{ max: 128 }]} />
    </ModalForm>
  );
}

/** 商户: the merchants of this agent's subtree with their direct agent; new merchants; their rates. */
export function MerchantsPage() {
  const { t } = useTranslation(['agent', 'common']);
  const w = useAgentWords('agent');
  const { message } = App.useApp();
  const screens = Grid.useBreakpoint();
  const load = useTablePageLoader();
  const me = useAgentMe();
  const subtree = useApi<{ items: AgentView[] }>('/api/agent/agents?limit=200');
  const actionRef = useRef<ActionType>(null);
  const [target, setTarget] = useState<RatesTarget | null>(null);
  const self = me.data;
  const agentNames = new Map<string, string>([
    ...(self ? [[self.agentNo, self.name] as [string, string]] : []),
    ...(subtree.data?.items ?? []).map((a) => [a.agentNo, a.name] as [string, string]),
  ]);

  /** A merchant's rates are bounded by its direct agent's: this agent's own, or a sub-agent's. */
  const openRates = async (m: AgentMerchant) => {
    try {
      const above =
        m.agentNo === self?.agentNo
          ? self?.rates
          : (await api.get<{ items: RateTerms[] }>(`/api/agent/agents/${m.agentNo}/rates`)).items;
      setTarget({ kind: 'merchant', no: m.mchNo, name: m.name, above });
    } catch (e) {
      message.error(errorText(e));
    }
  };

  const columns: ProColumns<AgentMerchant>[] = [
    {
      title: w('merchant.name'),
      dataIndex: 'mchNo',
      width: 260,
      render: (_, m) => (
        <TwoLineCell secondary={m.mchNo} time={m.createdAt} timeTip={w('createdAt')}>
          <span>{m.name}</span>
        </TwoLineCell>
      ),
    },
    {
      title: w('directAgent'),
      dataIndex: 'agentNo',
      width: 200,
      render: (_, m) =>
        m.agentNo ? (
          <TwoLineCell secondary={m.agentNo}>
            <span>{agentNames.get(m.agentNo) ?? m.agentNo}</span>
          </TwoLineCell>
        ) : (
          '-'
        ),
    },
    {
      title: w('merchant.contact'),
      dataIndex: 'contact',
      width: 140,
      ellipsis: true,
      render: (_, m) => m.contact || '-',
    },
    {
      title: w('merchant.state'),
      dataIndex: 'state',
      width: 110,
      render: (_, m) => (
        <Tag bordered={false} color={STATE_COLORS[m.state] ?? 'default'}>
          {w(`merchant.stateWord.${m.state}`)}
        </Tag>
      ),
    },
    {
      title: t('common:actions.more'),
      key: 'actions',
      valueType: 'option',
      width: 120,
      render: (_, m) => <RowAction onClick={() => openRates(m)}>{w('rates.set')}</RowAction>,
    },
  ];

  return (
    <Page title={t('merchants.title')} subTitle={screens.md ? t('merchants.subtitle') : undefined}>
      <div data-testid="agent-merchants">
        <ProTable<AgentMerchant>
          rowKey="mchNo"
          actionRef={actionRef}
          columns={columns}
          cardBordered
          search={false}
          scroll={{ x: widthOf(columns) }}
          columnsState={remembered('agent.merchants')}
          pagination={{ defaultPageSize: 20, showSizeChanger: true }}
          locale={{ emptyText: w('noMerchants') }}
          options={{ density: false, setting: true, reload: true }}
          request={(params) => load<AgentMerchant>('/api/agent/merchants', {}, params)}
          toolBarRender={() => [
            <CreateMerchantForm key="create" onDone={() => actionRef.current?.reload()} />,
          ]}
        />
      </div>
      <RatesDrawer target={target} onClose={() => setTarget(null)} />
    </Page>
  );
}
