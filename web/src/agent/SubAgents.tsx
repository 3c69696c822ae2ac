import { PlusOutlined } from '@ant-design/icons';
import { type ActionType, type ProColumns, ProTable } from '@ant-design/pro-components';
import { App, Button, Grid, Segmented, Space } from 'antd';
import { useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, qs } from '../api.ts';
import {
  type AgentNode,
  AgentStateTag,
  type AgentView,
  agentTree,
  CreateAgentForm,
  type RateTerms,
  useAgentWords,
} from '../shell/agents.tsx';
import { errorText } from '../shell/errors.ts';
import { RowAction, remembered, widthOf } from '../shell/listTable.tsx';
import { Page } from '../shell/Page.tsx';
import { useSecretDialog } from '../shell/SecretDialog.tsx';
import { TwoLineCell } from '../shell/TwoLineCell.tsx';
import { useRequestError } from '../shell/useRequestError.ts';
import { useAgentMe } from './me.ts';
import { RatesDrawer, type RatesTarget } from './RatesDrawer.tsx';

/** The server's page limit: the tree loads the whole subtree at once. */
const TREE_LIMIT = 200;

const option = (a: AgentView) => ({ value: a.agentNo, label: `${a.name}（${a.agentNo}）` });

/** 下级代理: the subtree as a tree (or a searched list), new sub-agents, and their rates within this agent's. */
export function SubAgentsPage() {
  const { t } = useTranslation(['agent', 'common']);
  const w = useAgentWords('agent');
  const { message } = App.useApp();
  const screens = Grid.useBreakpoint();
  const onRequestError = useRequestError();
  const me = useAgentMe();
  const secret = useSecretDialog();
  const actionRef = useRef<ActionType>(null);
  const reload = () => actionRef.current?.reload();
  const [view, setView] = useState<'tree' | 'list'>('tree');
  const [subtree, setSubtree] = useState<AgentView[]>([]);
  const [target, setTarget] = useState<RatesTarget | null>(null);
  const self = me.data;
  const maxDepth = self?.maxDepth ?? 3;

  /** The rates of the level above a sub-agent: this agent's own, or another sub-agent's. */
  const openRates = async (a: AgentView) => {
    try {
      const above =
        a.parentNo === self?.agentNo
          ? self?.rates
          : (await api.get<{ items: RateTerms[] }>(`/api/agent/agents/${a.parentNo}/rates`)).items;
      setTarget({ kind: 'agent', no: a.agentNo, name: a.name, above });
    } catch (e) {
      message.error(errorText(e));
    }
  };

  const parents = self
    ? [self, ...subtree].filter((a) => a.depth < maxDepth && a.state === 'enabled').map(option)
    : [];

  const columns: ProColumns<AgentNode>[] = [
    { title: w('search'), dataIndex: 'q', hideInTable: true },
    {
      title: w('agent'),
      dataIndex: 'agentNo',
      search: false,
      width: 260,
      render: (_, a) => (
        <TwoLineCell secondary={a.agentNo} time={a.createdAt} timeTip={w('createdAt')}>
          <span>{a.name}</span>
        </TwoLineCell>
      ),
    },
    {
      title: w('level'),
      dataIndex: 'depth',
      search: false,
      width: 80,
      render: (_, a) => w('levelN', { level: a.depth }),
    },
    {
      title: w('parent'),
      dataIndex: 'parentNo',
      search: false,
      width: 130,
      render: (_, a) => <span className="qy-mono">{a.parentNo ?? '-'}</span>,
    },
    {
      title: w('contact'),
      dataIndex: 'contact',
      search: false,
      width: 150,
      ellipsis: true,
      render: (_, a) => [a.contact, a.phone].filter(Boolean).join(' ') || '-',
    },
    {
      title: w('state'),
      dataIndex: 'state',
      search: false,
      width: 90,
      render: (_, a) => <AgentStateTag area="agent" state={a.state} />,
    },
    {
      title: t('common:actions.more'),
      key: 'actions',
      valueType: 'option',
      width: 200,
      render: (_, a) => (
        <Space size={12} wrap>
          <RowAction onClick={() => openRates(a)}>{w('rates.set')}</RowAction>
          {a.depth < maxDepth && a.state === 'enabled' && (
            <CreateAgentForm
              area="agent"
              path="/api/agent/agents"
              title={w('createSubTitle', { parent: a.name })}
              parents={[option(a)]}
              defaultParent={a.agentNo}
              onDone={reload}
              showSecret={secret.show}
              trigger={<RowAction>{w('createSub')}</RowAction>}
            />
          )}
        </Space>
      ),
    },
  ];

  return (
    <Page title={t('agents.title')} subTitle={screens.md ? t('agents.subtitle') : undefined}>
      <div data-testid="sub-agents">
        <ProTable<AgentNode, { q?: string; view?: string }>
          rowKey="agentNo"
          actionRef={actionRef}
          columns={columns}
          cardBordered
          scroll={{ x: widthOf(columns) }}
          columnsState={remembered('agent.subAgents')}
          search={{ labelWidth: 'auto', defaultCollapsed: false }}
          params={{ view }}
          pagination={view === 'list' ? { defaultPageSize: 20 } : false}
          expandable={{ defaultExpandAllRows: true }}
          locale={{ emptyText: w('noSubAgents') }}
          options={{ density: false, setting: true, reload: true }}
          onRequestError={onRequestError}
          request={async (params) => {
            const q = params.q?.trim();
            if (view === 'tree') {
              const answer = await api.get<{ items: AgentView[]; total: number }>(
                `/api/agent/agents${qs({ q, limit: TREE_LIMIT })}`,
              );
              if (!q) setSubtree(answer.items);
              const root = answer.items.find(
                (a) => a.depth === Math.min(...answer.items.map((x) => x.depth)),
              );
              return {
                data: agentTree(answer.items, root?.parentNo ?? null),
                total: answer.total,
                success: true,
              };
            }
            const size = params.pageSize ?? 20;
            const answer = await api.get<{ items: AgentView[]; total: number }>(
              `/api/agent/agents${qs({ q, limit: size, offset: ((params.current ?? 1) - 1) * size })}`,
            );
            return { data: answer.items, total: answer.total, success: true };
          }}
          toolBarRender={() => [
            <Segmented
              key="view"
              aria-label={`${w('treeView')} / ${w('listView')}`}
              value={view}
              onChange={(v) => setView(v as 'tree' | 'list')}
              options={[
                { value: 'tree', label: w('treeView') },
                { value: 'list', label: w('listView') },
              ]}
            />,
            ...(self && parents.length > 0
              ? [
                  <CreateAgentForm
                    key="create"
                    area="agent"
                    path="/api/agent/agents"
                    title={w('createSub')}
                    parents={parents}
                    defaultParent={self.agentNo}
                    onDone={reload}
                    showSecret={secret.show}
                    trigger={
                      <Button type="primary" icon={<PlusOutlined />}>
                        {w('createSub')}
                      </Button>
                    }
                  />,
                ]
              : []),
          ]}
        />
      </div>
      <RatesDrawer target={target} onClose={() => setTarget(null)} />
      {secret.holder}
    </Page>
  );
}
