import { PlusOutlined } from '@ant-design/icons';
import { type ActionType, type ProColumns, ProTable } from '@ant-design/pro-components';
import { App, Button, Popconfirm, Segmented, Space } from 'antd';
import { useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { api, qs } from '../../api.ts';
import {
  type AgentNode,
  AgentStateTag,
  type AgentView,
  agentTree,
  CreateAgentForm,
  EditAgentForm,
  useAgentWords,
} from '../../shell/agents.tsx';
import { errorText } from '../../shell/errors.ts';
import { RowAction, remembered, widthOf } from '../../shell/listTable.tsx';
import { Page } from '../../shell/Page.tsx';
import { useSecretDialog } from '../../shell/SecretDialog.tsx';
import { useCan } from '../../shell/session.tsx';
import { TwoLineCell } from '../../shell/TwoLineCell.tsx';
import { useRequestError } from '../../shell/useRequestError.ts';

/** The most agents one answer carries (the server's page limit): the tree loads them at once. */
const TREE_LIMIT = 200;

interface AgentList {
  items: AgentView[];
  total: number;
  maxDepth: number;
}

/** Loads every agent (up to the limit) for the pickers of a parent. */
export async function allAgents(): Promise<AgentList> {
  return api.get<AgentList>(`/api/admin/agents${qs({ limit: TREE_LIMIT })}`);
}

export const agentOption = (a: AgentView) => ({ value: a.agentNo, label: `${a.name}（${a.agentNo}）` });

/** 启用 / 停用 an agent, after a confirmation. */
export function AgentStateButton({
  agent,
  onDone,
  type = 'link',
}: {
  agent: AgentView;
  onDone: () => void;
  type?: 'link' | 'default';
}) {
  const w = useAgentWords('operator');
  const { t } = useTranslation('common');
  const { message } = App.useApp();
  const enable = agent.state === 'disabled';
  return (
    <Popconfirm
      title={enable ? w('enableConfirm', { name: agent.name }) : w('disableConfirm', { name: agent.name })}
      description={enable ? undefined : w('disableHint')}
      onConfirm={async () => {
        try {
          await api.patch(`/api/admin/agents/${agent.agentNo}`, { state: enable ? 'enabled' : 'disabled' });
          message.success(enable ? w('enabledDone') : w('disabledDone'));
          onDone();
        } catch (e) {
          message.error(errorText(e));
        }
      }}
    >
      {type === 'link' ? (
        <RowAction danger={!enable}>{enable ? t('actions.enable') : t('actions.disable')}</RowAction>
      ) : (
        <Button danger={!enable}>{enable ? t('actions.enable') : t('actions.disable')}</Button>
      )}
    </Popconfirm>
  );
}

/** 代理商: the agent tree (or a flat list, searched), create a top-level agent or a sub-agent, edit, enable / disable. */
export function AgentsPage() {
  const { t } = useTranslation(['operator', 'common']);
  const w = useAgentWords('operator');
  const onRequestError = useRequestError();
  const navigate = useNavigate();
  const can = useCan();
  const writable = can('agents.manage');
  const actionRef = useRef<ActionType>(null);
  const reload = () => actionRef.current?.reload();
  const [view, setView] = useState<'tree' | 'list'>('tree');
  const [all, setAll] = useState<AgentList>({ items: [], total: 0, maxDepth: 3 });
  const secret = useSecretDialog();

  const columns: ProColumns<AgentNode>[] = [
    {
      title: w('search'),
      dataIndex: 'q',
      hideInTable: true,
    },
    {
      title: w('agent'),
      dataIndex: 'agentNo',
      search: false,
      width: 240,
      render: (_, a) => (
        <TwoLineCell secondary={a.agentNo} time={a.createdAt} timeTip={w('createdAt')}>
          <Link to={`/operator/agents/${a.agentNo}`}>{a.name}</Link>
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
      render: (_, a) => (a.parentNo ? <span className="qy-mono">{a.parentNo}</span> : '-'),
    },
    {
      title: w('contact'),
      dataIndex: 'contact',
      search: false,
      width: 140,
      ellipsis: true,
      render: (_, a) => [a.contact, a.phone].filter(Boolean).join(' ') || '-',
    },
    {
      title: w('state'),
      dataIndex: 'state',
      search: false,
      width: 90,
      render: (_, a) => <AgentStateTag area="operator" state={a.state} />,
    },
    {
      title: t('common:actions.more'),
      key: 'actions',
      valueType: 'option',
      width: 240,
      render: (_, a) => (
        <Space size={12} wrap>
          <RowAction onClick={() => navigate(`/operator/agents/${a.agentNo}`)}>
            {t('common:actions.detail')}
          </RowAction>
          {writable && a.depth < all.maxDepth && (
            <CreateAgentForm
              area="operator"
              path="/api/admin/agents"
              title={w('createSubTitle', { parent: a.name })}
              parents={[agentOption(a)]}
              defaultParent={a.agentNo}
              onDone={reload}
              showSecret={secret.show}
              trigger={<RowAction>{w('createSub')}</RowAction>}
            />
          )}
          {writable && (
            <EditAgentForm
              area="operator"
              path={`/api/admin/agents/${a.agentNo}`}
              agent={a}
              onDone={reload}
              trigger={<RowAction>{t('common:actions.edit')}</RowAction>}
            />
          )}
          {writable && <AgentStateButton agent={a} onDone={reload} />}
        </Space>
      ),
    },
  ];

  return (
    <Page title={t('agents.title')} subTitle={t('agents.subtitle')}>
      <div data-testid="agents-table">
        <ProTable<AgentNode, { q?: string; view?: string }>
          rowKey="agentNo"
          actionRef={actionRef}
          columns={columns}
          cardBordered
          scroll={{ x: widthOf(columns) }}
          columnsState={remembered('operator.agents')}
          search={{ labelWidth: 'auto', defaultCollapsed: false }}
          params={{ view }}
          pagination={view === 'list' ? { defaultPageSize: 20, showSizeChanger: true } : false}
          expandable={{ defaultExpandAllRows: true }}
          options={{ density: false, setting: true, reload: true }}
          onRequestError={onRequestError}
          request={async (params) => {
            const q = params.q?.trim();
            if (view === 'tree') {
              const answer = await api.get<AgentList>(`/api/admin/agents${qs({ q, limit: TREE_LIMIT })}`);
              setAll(answer);
              return { data: agentTree(answer.items, null), total: answer.total, success: true };
            }
            const size = params.pageSize ?? 20;
            const answer = await api.get<AgentList>(
              `/api/admin/agents${qs({ q, limit: size, offset: ((params.current ?? 1) - 1) * size })}`,
            );
            setAll((prev) => ({ ...prev, maxDepth: answer.maxDepth }));
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
            ...(writable
              ? [
                  <CreateAgentForm
                    key="create"
                    area="operator"
                    path="/api/admin/agents"
                    title={t('agents.createTopTitle')}
                    parents={all.items.filter((a) => a.depth < all.maxDepth).map(agentOption)}
                    allowTop
                    onDone={reload}
                    showSecret={secret.show}
                    trigger={
                      <Button type="primary" icon={<PlusOutlined />}>
                        {t('agents.createTop')}
                      </Button>
                    }
                  />,
                ]
              : []),
          ]}
        />
      </div>
      {secret.holder}
    </Page>
  );
}
