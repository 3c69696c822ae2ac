import { PlusOutlined } from '@ant-design/icons';
import {
  type ActionType,
  ModalForm,
  type ProColumns,
  ProFormSelect,
  ProFormText,
  ProFormTextArea,
  ProTable,
} from '@ant-design/pro-components';
import { App, Button, Popconfirm, Space, Tag, Typography } from 'antd';
import { useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api.ts';
import { ErrorAlert } from '../../shell/ErrorAlert.tsx';
import { errorText } from '../../shell/errors.ts';
import { RowAction, remembered, widthOf } from '../../shell/listTable.tsx';
import { Page } from '../../shell/Page.tsx';
import { useCan } from '../../shell/session.tsx';
import { TwoLineCell } from '../../shell/TwoLineCell.tsx';
import { fetchTablePage } from '../../shell/tablePage.ts';
import { useRequestError } from '../../shell/useRequestError.ts';

const BASE = '/api/admin/onboarding/blacklist';
const KINDS = ['id_number', 'licence_no', 'card_no', 'phone'] as const;

interface EntryRow {
  id: string;
  kind: (typeof KINDS)[number];
  masked: string;
  note: string;
  createdAt: string;
  updatedAt: string;
}

/** 黑名单: numbers onboarding applications are matched against, kept as keyed digests and masks. */
export function BlacklistPage() {
  const { t } = useTranslation(['operator', 'common']);
  const { message } = App.useApp();
  const onRequestError = useRequestError();
  const can = useCan();
  const manager = can('onboarding.blacklist');
  const actionRef = useRef<ActionType>(null);
  const reload = () => actionRef.current?.reload();
  const kindEnum = Object.fromEntries(
    KINDS.map((k) => [k, { text: t(`glossary:onboarding.blacklistKind.${k}`) }]),
  );

  const columns: ProColumns<EntryRow>[] = [
    {
      title: t('blacklist.masked'),
      dataIndex: 'masked',
      search: false,
      width: 240,
      render: (_, r) => (
        <TwoLineCell time={r.createdAt} timeTip={t('blacklist.createdAt')}>
          <span className="qy-mono">{r.masked}</span>
        </TwoLineCell>
      ),
    },
    {
      title: t('blacklist.kind'),
      dataIndex: 'kind',
      valueType: 'select',
      valueEnum: kindEnum,
      width: 140,
      render: (_, r) => <Tag bordered={false}>{t(`glossary:onboarding.blacklistKind.${r.kind}`)}</Tag>,
    },
    {
      title: t('blacklist.note'),
      dataIndex: 'note',
      search: false,
      width: 360,
      render: (_, r) => (
        <Typography.Text ellipsis={{ tooltip: r.note }} style={{ maxWidth: 340 }}>
          {r.note || '-'}
        </Typography.Text>
      ),
    },
    {
      title: t('common:actions.more'),
      key: 'actions',
      search: false,
      width: 160,
      hideInTable: !manager,
      render: (_, r) => (
        <Space size={12}>
          <NoteForm entry={r} onDone={reload} />
          <Popconfirm
            title={t('blacklist.removeConfirm', { masked: r.masked })}
            onConfirm={async () => {
              try {
                await api.del(`${BASE}/${encodeURIComponent(r.id)}`);
                message.success(t('blacklist.removed'));
                reload();
              } catch (e) {
                message.error(errorText(e));
              }
            }}
          >
            <RowAction danger>{t('blacklist.remove')}</RowAction>
          </Popconfirm>
        </Space>
      ),
    },
  ];

  return (
    <Page title={t('blacklist.title')} subTitle={t('blacklist.subtitle')}>
      <div data-testid="blacklist-table">
        <ProTable<EntryRow>
          rowKey="id"
          actionRef={actionRef}
          columns={columns}
          cardBordered
          scroll={{ x: widthOf(columns) }}
          columnsState={remembered('operator.blacklist')}
          size="middle"
          search={{
            labelWidth: 'auto',
            defaultCollapsed: false,
            span: { xs: 24, sm: 12, md: 8, lg: 8, xl: 6, xxl: 6 },
          }}
          pagination={{ defaultPageSize: 20, showSizeChanger: true, pageSizeOptions: [20, 50, 100] }}
          options={{ density: true, setting: true, reload: true, fullScreen: true }}
          toolBarRender={() => (manager ? [<AddForm key="add" kindEnum={kindEnum} onDone={reload} />] : [])}
          onRequestError={onRequestError}
          request={(p) => fetchTablePage<EntryRow>(BASE, { kind: p.kind }, p)}
        />
      </div>
    </Page>
  );
}

function AddForm({ kindEnum, onDone }: { kindEnum: Record<string, { text: string }>; onDone: () => void }) {
  const { t } = useTranslation(['operator', 'common']);
  const { message } = App.useApp();
  const [error, setError] = useState<unknown>(null);
  return (
    <ModalForm<{ kind: string; value: string; note?: string }>
      title={t('blacklist.addTitle')}
      width={480}
      modalProps={{ destroyOnHidden: true, afterClose: () => setError(null) }}
      trigger={
        <Button type="primary" icon={<PlusOutlined />}>
          {t('blacklist.add')}
        </Button>
      }
      initialValues={{ kind: 'id_number' }}
      onFinish={async (v) => {
        setError(null);
        try {
          await api.post(BASE, { kind: v.kind, value: v.value.trim(), note: v.note?.trim() ?? '' });
          message.success(t('blacklist.added'));
          onDone();
          return true;
        } catch (e) {
          setError(e);
          return false;
        }
      }}
    >
      <ErrorAlert error={error} />
      <ProFormSelect
        name="kind"
        label={t('blacklist.kind')}
        valueEnum={kindEnum}
        rules={[{ required: true }]}
      />
      <ProFormText
        name="value"
        label={t('blacklist.value')}
        placeholder={t('blacklist.valuePlaceholder')}
        fieldProps={{ autoComplete: 'off', maxLength: 64 }}
        rules={[{ required: true, whitespace: true, message: t('blacklist.valueRequired') }]}
      />
      <ProFormTextArea
        name="note"
        label={t('blacklist.note')}
        fieldProps={{ rows: 2, maxLength: 500, showCount: true }}
      />
    </ModalForm>
  );
}

function NoteForm({ entry, onDone }: { entry: EntryRow; onDone: () => void }) {
  const { t } = useTranslation(['operator', 'common']);
  const { message } = App.useApp();
  const [error, setError] = useState<unknown>(null);
  return (
    <ModalForm<{ note: string }>
      title={t('blacklist.editTitle', { masked: entry.masked })}
      width={480}
      modalProps={{ destroyOnHidden: true, afterClose: () => setError(null) }}
      trigger={<RowAction>{t('blacklist.edit')}</RowAction>}
      initialValues={{ note: entry.note }}
      onFinish={async ({ note }) => {
        setError(null);
        try {
          await api.patch(`${BASE}/${encodeURIComponent(entry.id)}`, { note: (note ?? '').trim() });
          message.success(t('blacklist.saved'));
          onDone();
          return true;
        } catch (e) {
          setError(e);
          return false;
        }
      }}
    >
      <ErrorAlert error={error} />
      <ProFormTextArea
        name="note"
        label={t('blacklist.note')}
        fieldProps={{ rows: 3, maxLength: 500, showCount: true }}
      />
    </ModalForm>
  );
}
