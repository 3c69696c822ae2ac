import { PlusOutlined } from '@ant-design/icons';
import {
  type ActionType,
  ModalForm,
  type ProColumns,
  ProDescriptions,
  ProFormSelect,
  ProTable,
} from '@ant-design/pro-components';
import { App, Button, Result, Skeleton, Space } from 'antd';
import type { HookAPI } from 'antd/es/modal/useModal';
import { type ReactElement, useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { api } from '../../api.ts';
import {
  AgentStateTag,
  type AgentView,
  agentTree,
  CreateAgentForm,
  EditAgentForm,
  RatesTable,
  type RateTerms,
  ratesByProduct,
  useAgentWords,
} from '../../shell/agents.tsx';
import { CommissionPanel } from '../../shell/Commission.tsx';
import { describeError, errorText } from '../../shell/errors.ts';
import { dateTime } from '../../shell/format.ts';
import { RowAction } from '../../shell/listTable.tsx';
import { Page } from '../../shell/Page.tsx';
import { useSecretDialog } from '../../shell/SecretDialog.tsx';
import { useCan } from '../../shell/session.tsx';
import { TwoLineCell } from '../../shell/TwoLineCell.tsx';
import { useTablePageLoader } from '../../shell/tablePage.ts';
import { useApi } from '../../shell/useApi.ts';
import { MerchantSelect, MerchantStateTag } from '../components.tsx';
import type { Merchant, Product } from '../types.ts';
import { AgentStateButton, agentOption, allAgents } from './Agents.tsx';

type Tab = 'rates' | 'agents' | 'merchants' | 'commission';

interface AgentDetail extends AgentView {
  rates: RateTerms[];
  subAgents: AgentView[];
}

type AgentMerchant = Merchant & { agentNo: string | null };

/** Asks before a move: it counts for orders created after it. Resolves true when confirmed. */
function confirmMove(modal: HookAPI, w: ReturnType<typeof useAgentWords>): Promise<boolean> {
  return new Promise((resolve) => {
    modal.confirm({
      title: w('move.confirmTitle'),
      content: w('move.confirmOrders'),
      onOk: () => resolve(true),
      onCancel: () => resolve(false),
    });
  });
}

/** 调整上级: moves the agent and its subtree under another agent, or to the top level. */
function MoveAgentForm({ agent, onDone }: { agent: AgentDetail; onDone: () => void }) {
  const w = useAgentWords('operator');
  const { message, modal } = App.useApp();
  const inSubtree = new Set([agent.agentNo, ...agent.subAgents.map((a) => a.agentNo)]);
  return (
    <ModalForm<{ parentNo?: string }>
      title={w('move.agentTitle', { name: agent.name })}
      width={520}
      trigger={<Button>{w('move.agent')}</Button>}
      modalProps={{ destroyOnHidden: true }}
      initialValues={{ parentNo: agent.parentNo ?? undefined }}
      onFinish={async ({ parentNo }) => {
        if (!(await confirmMove(modal, w))) return false;
        try {
          await api.post(`/api/admin/agents/${agent.agentNo}/move`, { parentNo: parentNo ?? null });
          message.success(w('move.done'));
          onDone();
          return true;
        } catch (e) {
          message.error(errorText(e));
          return false;
        }
      }}
    >
      <ProFormSelect
        name="parentNo"
        label={w('move.newParent')}
        extra={w('move.newParentHint')}
        placeholder={w('topLevel')}
        allowClear
        showSearch
        request={async () =>
          (await allAgents()).items.filter((a) => !inSubtree.has(a.agentNo)).map(agentOption)
        }
      />
    </ModalForm>
  );
}

/** 调整所属代理商 / 把商户划到该代理商: a merchant under another direct agent (or none). */
function MoveMerchantForm(props: {
  merchant?: AgentMerchant;
  /** Adding a merchant to this agent: the merchant is chosen, the agent is this one. */
  toAgent?: AgentView;
  trigger: ReactElement;
  onDone: () => void;
}) {
  const w = useAgentWords('operator');
  const { message, modal } = App.useApp();
  const title = props.toAgent
    ? w('move.addMerchantTitle', { name: props.toAgent.name })
    : w('move.merchantTitle', { name: props.merchant?.name ?? '' });
  return (
    <ModalForm<{ mchNo?: string; agentNo?: string }>
      title={title}
      width={520}
      trigger={props.trigger}
      modalProps={{ destroyOnHidden: true }}
      initialValues={{ agentNo: props.merchant?.agentNo ?? undefined }}
      onFinish={async (v) => {
        const mchNo = props.merchant?.mchNo ?? v.mchNo;
        if (!mchNo || !(await confirmMove(modal, w))) return false;
        try {
          await api.post(`/api/admin/merchants/${mchNo}/move`, {
            agentNo: props.toAgent?.agentNo ?? v.agentNo ?? null,
          });
          message.success(w('move.done'));
          props.onDone();
          return true;
        } catch (e) {
          message.error(errorText(e));
          return false;
        }
      }}
    >
      {props.toAgent ? (
        <MerchantSelect
          name="mchNo"
          label={w('move.merchantField')}
          rules={[{ required: true, message: w('move.merchantRequired') }]}
        />
      ) : (
        <ProFormSelect
          name="agentNo"
          label={w('move.newAgent')}
          extra={w('move.newAgentHint')}
          allowClear
          showSearch
          request={async () => (await allAgents()).items.map(agentOption)}
        />
      )}
    </ModalForm>
  );
}

function MerchantsTab({
  agent,
  writable,
  onChanged,
}: {
  agent: AgentDetail;
  writable: boolean;
  onChanged: () => void;
}) {
  const { t } = useTranslation(['operator', 'common']);
  const w = useAgentWords('operator');
  const load = useTablePageLoader();
  const actionRef = useRef<ActionType>(null);
  const reload = () => {
    actionRef.current?.reload();
    onChanged();
  };
  const columns: ProColumns<AgentMerchant>[] = [
    {
      title: w('merchant.name'),
      dataIndex: 'mchNo',
      width: 240,
      render: (_, m) => (
        <TwoLineCell secondary={m.mchNo} time={m.createdAt} timeTip={w('createdAt')}>
          <Link to={`/operator/merchants/${m.mchNo}`}>{m.name}</Link>
        </TwoLineCell>
      ),
    },
    {
      title: w('directAgent'),
      dataIndex: 'agentNo',
      width: 140,
      render: (_, m) => <span className="qy-mono">{m.agentNo ?? '-'}</span>,
    },
    {
      title: w('merchant.state'),
      dataIndex: 'state',
      width: 100,
      render: (_, m) => <MerchantStateTag state={m.state} />,
    },
    {
      title: t('common:actions.more'),
      key: 'actions',
      valueType: 'option',
      width: 160,
      hideInTable: !writable,
      render: (_, m) => (
        <MoveMerchantForm
          merchant={m}
          onDone={reload}
          trigger={<RowAction>{w('move.merchant')}</RowAction>}
        />
      ),
    },
  ];
  return (
    <ProTable<AgentMerchant>
      rowKey="mchNo"
      actionRef={actionRef}
      headerTitle={w('merchants')}
      tooltip={t('agents.merchantCountHint')}
      columns={columns}
      search={false}
      cardBordered
      scroll={{ x: 'max-content' }}
      pagination={{ defaultPageSize: 20 }}
      locale={{ emptyText: w('noMerchants') }}
      options={{ reload: true, density: false, setting: false }}
      request={(params) => load<AgentMerchant>(`/api/admin/agents/${agent.agentNo}/merchants`, {}, params)}
      toolBarRender={() =>
        writable
          ? [
              <MoveMerchantForm
                key="add"
                toAgent={agent}
                onDone={reload}
                trigger={
                  <Button type="primary" icon={<PlusOutlined />}>
                    {w('move.addMerchant')}
                  </Button>
                }
              />,
            ]
          : []
      }
    />
  );
}

/** 代理商详情 (/operator/agents/:agentNo): the agent, its rates, sub-agents, merchants and commissions. */
export function AgentDetailPage() {
  const { t } = useTranslation(['operator', 'common']);
  const w = useAgentWords('operator');
  const { agentNo = '' } = useParams();
  const navigate = useNavigate();
  const [params, setParams] = useSearchParams();
  const can = useCan();
  const writable = can('agents.manage');
  const secret = useSecretDialog();
  const { data, error, reload } = useApi<AgentDetail>(`/api/admin/agents/${encodeURIComponent(agentNo)}`);
  const parent = useApi<AgentDetail>(data?.parentNo ? `/api/admin/agents/${data.parentNo}` : null);
  const products = useApi<Product[]>('/api/admin/products');
  const maxDepth = useApi<{ maxDepth: number }>('/api/admin/agents?limit=1');
  const merchantCount = useApi<{ total: number }>(
    `/api/admin/agents/${encodeURIComponent(agentNo)}/merchants?limit=1`,
  );
  // The tab is the address's (?tab=), so a link, a reload and the browser's back button agree.
  const tab = (params.get('tab') as Tab | null) || 'rates';
  const back = () => navigate('/operator/agents');

  if (error && !data) {
    const { title, detail } = describeError(error);
    return (
      <Page title={agentNo} onBack={back}>
        <Result
          status="warning"
          title={title}
          subTitle={detail}
          extra={<Button onClick={back}>{t('common:actions.back')}</Button>}
        />
      </Page>
    );
  }

  const canOpenSub = data && data.depth < (maxDepth.data?.maxDepth ?? 3);
  // A top-level agent is bounded by the channel costs, which the server checks; others by the parent.
  const floors = data?.parentNo ? ratesByProduct(parent.data?.rates) : undefined;
  const productChoices = (products.data ?? []).map((p) => ({ code: p.code, name: p.name }));

  return (
    <Page
      title={data?.name ?? agentNo}
      subTitle={<span className="qy-mono">{agentNo}</span>}
      tags={data ? <AgentStateTag area="operator" state={data.state} /> : undefined}
      onBack={back}
      extra={
        data && writable ? (
          <Space wrap>
            {canOpenSub && (
              <CreateAgentForm
                area="operator"
                path="/api/admin/agents"
                title={w('createSubTitle', { parent: data.name })}
                parents={[agentOption(data), ...data.subAgents.map(agentOption)]}
                defaultParent={data.agentNo}
                onDone={reload}
                showSecret={secret.show}
                trigger={
                  <Button type="primary" icon={<PlusOutlined />}>
                    {w('createSub')}
                  </Button>
                }
              />
            )}
            <EditAgentForm
              area="operator"
              path={`/api/admin/agents/${data.agentNo}`}
              agent={data}
              onDone={reload}
              trigger={<Button>{t('common:actions.edit')}</Button>}
            />
            <MoveAgentForm agent={data} onDone={reload} />
            <AgentStateButton agent={data} onDone={reload} type="default" />
          </Space>
        ) : undefined
      }
      content={
        data ? (
          <ProDescriptions column={{ xs: 1, sm: 2, lg: 3 }} size="small" style={{ marginTop: 8 }}>
            <ProDescriptions.Item label={w('agentNo')} copyable>
              {data.agentNo}
            </ProDescriptions.Item>
            <ProDescriptions.Item label={w('level')}>
              {w('levelN', { level: data.depth })}
            </ProDescriptions.Item>
            <ProDescriptions.Item label={w('parent')}>
              {data.parentNo ? <Link to={`/operator/agents/${data.parentNo}`}>{data.parentNo}</Link> : '-'}
            </ProDescriptions.Item>
            <ProDescriptions.Item label={w('contact')}>
              {[data.contact, data.phone].filter(Boolean).join(' ') || '-'}
            </ProDescriptions.Item>
            <ProDescriptions.Item label={w('email')}>{data.email || '-'}</ProDescriptions.Item>
            <ProDescriptions.Item label={w('createdAt')}>{dateTime(data.createdAt)}</ProDescriptions.Item>
          </ProDescriptions>
        ) : (
          <Skeleton active paragraph={{ rows: 2 }} />
        )
      }
      tabActiveKey={tab}
      onTabChange={(key) => {
        const copy = new URLSearchParams(params);
        copy.set('tab', key);
        setParams(copy, { replace: true });
      }}
      tabList={[
        { key: 'rates', tab: `${t('agents.tabRates')}${data ? ` (${data.rates.length})` : ''}` },
        { key: 'agents', tab: `${t('agents.tabSubAgents')}${data ? ` (${data.subAgents.length})` : ''}` },
        {
          key: 'merchants',
          tab: `${t('agents.tabMerchants')}${merchantCount.data ? ` (${merchantCount.data.total})` : ''}`,
        },
        { key: 'commission', tab: t('agents.tabCommission') },
      ]}
    >
      {!data ? (
        <Skeleton active />
      ) : tab === 'rates' ? (
        <RatesTable
          area="operator"
          who={data.name}
          rates={data.rates}
          products={productChoices}
          floors={floors}
          testId="agent-rates"
          onReload={reload}
          onSave={
            writable
              ? async (productCode, terms) => {
                  await api.put(`/api/admin/agents/${data.agentNo}/rates/${productCode}`, {
                    ratePpm: terms.ratePpm,
                    fixedFee: terms.fixedFee,
                    minimumFee: terms.minimumFee,
                  });
                  await reload();
                }
              : undefined
          }
        />
      ) : tab === 'agents' ? (
        <ProTable<AgentView>
          rowKey="agentNo"
          headerTitle={w('subAgents')}
          search={false}
          cardBordered
          pagination={false}
          scroll={{ x: 'max-content' }}
          expandable={{ defaultExpandAllRows: true }}
          locale={{ emptyText: w('noSubAgents') }}
          options={{ reload, density: false, setting: false }}
          dataSource={agentTree(data.subAgents, data.agentNo)}
          columns={[
            {
              title: w('agent'),
              dataIndex: 'agentNo',
              width: 260,
              render: (_, a) => (
                <TwoLineCell secondary={a.agentNo} time={a.createdAt} timeTip={w('createdAt')}>
                  <Link to={`/operator/agents/${a.agentNo}`}>{a.name}</Link>
                </TwoLineCell>
              ),
            },
            {
              title: w('level'),
              dataIndex: 'depth',
              width: 80,
              render: (_, a) => w('levelN', { level: a.depth }),
            },
            {
              title: w('state'),
              dataIndex: 'state',
              width: 90,
              render: (_, a) => <AgentStateTag area="operator" state={a.state} />,
            },
          ]}
        />
      ) : tab === 'merchants' ? (
        <MerchantsTab agent={data} writable={writable} onChanged={merchantCount.reload} />
      ) : (
        <CommissionPanel
          area="operator"
          base={`/api/admin/agents/${data.agentNo}/commission`}
          fileName={`commission-${data.agentNo}`}
        />
      )}
      {secret.holder}
    </Page>
  );
}
