import { PlusOutlined } from '@ant-design/icons';
import {
  type ActionType,
  ModalForm,
  type ProColumns,
  ProFormRadio,
  ProFormSelect,
  ProFormText,
  ProFormTextArea,
  ProTable,
} from '@ant-design/pro-components';
import { App, Button, Modal, Popconfirm, Space, Switch, Tag, Typography } from 'antd';
import { useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api.ts';
import { ErrorAlert } from './ErrorAlert.tsx';
import { errorText } from './errors.ts';
import { dateTime, yuan, yuanPlain } from './format.ts';
import { amountRule, minorOrNull } from './forms.ts';
import { RowAction, remembered, widthOf } from './listTable.tsx';
import { TwoLineCell } from './TwoLineCell.tsx';
import { useRequestError } from './useRequestError.ts';

// The Telegram bot's bound groups, shared by the operator console's 机器人管理 (every group, codes
// for the operators or any merchant) and the merchant portal's panel (its own groups). The area
// names the words (`operator:bot.*` / `merchant:bot.*`, both from web/src/locales/botWords.ts) and
// the API (`/api/admin/bot` / `/api/merchant/bot`).

export type BotArea = 'operator' | 'merchant';
type BotLanguage = 'zh' | 'en';

export interface BotGroup {
  id: string;
  chatId: string;
  title: string;
  subject: 'operators' | 'merchant';
  merchantId: string | null;
  mchNo?: string | null;
  merchantName?: string | null;
  language: BotLanguage;
  enabled: boolean;
  allowedUserIds: string[];
  largePaymentThreshold: number | null;
  boundAt: string;
  lastActivityAt: string | null;
}

const baseOf = (area: BotArea) => (area === 'operator' ? '/api/admin/bot' : '/api/merchant/bot');

/** The console's language as a group's language: the default of a new binding code. */
function consoleLanguage(language: string): BotLanguage {
  return language.startsWith('en') ? 'en' : 'zh';
}

const groupName = (g: BotGroup) => g.title || g.chatId;

export function BotGroupsTable({ area, botUsername }: { area: BotArea; botUsername: string | null }) {
  const { t } = useTranslation([area, 'common']);
  const { message } = App.useApp();
  const onRequestError = useRequestError();
  const actionRef = useRef<ActionType>(null);
  const reload = () => actionRef.current?.reload();
  const base = baseOf(area);
  const w = (key: string, options?: Record<string, unknown>) => t(`${area}:bot.${key}`, options);

  const patch = async (group: BotGroup, body: Record<string, unknown>, done: string) => {
    try {
      await api.patch(`${base}/groups/${group.id}`, body);
      message.success(done);
      reload();
    } catch (e) {
      message.error(errorText(e));
    }
  };

  const columns: ProColumns<BotGroup>[] = [
    {
      title: w('group'),
      dataIndex: 'title',
      width: 200,
      render: (_, g) => (
        <TwoLineCell secondary={g.chatId} secondaryTip={w('chatId')} time={g.boundAt} timeTip={w('boundAt')}>
          <Typography.Text strong>{groupName(g)}</Typography.Text>
        </TwoLineCell>
      ),
    },
    ...(area === 'operator'
      ? [
          {
            title: w('subject'),
            dataIndex: 'subject',
            width: 150,
            render: (_: unknown, g: BotGroup) =>
              g.subject === 'operators' ? (
                <Tag color="blue" bordered={false}>
                  {w('subjects.operators')}
                </Tag>
              ) : (
                <TwoLineCell secondary={g.mchNo}>{g.merchantName ?? w('subjects.merchant')}</TwoLineCell>
              ),
          } satisfies ProColumns<BotGroup>,
        ]
      : []),
    {
      title: w('language'),
      dataIndex: 'language',
      width: 80,
      render: (_, g) => w(`languages.${g.language}`),
    },
    {
      title: w('enabled'),
      dataIndex: 'enabled',
      width: 70,
      render: (_, g) => (
        <Switch
          size="small"
          checked={g.enabled}
          aria-label={`${w('enabled')} ${groupName(g)}`}
          onChange={(enabled) => patch(g, { enabled }, w(enabled ? 'enabledOn' : 'enabledOff'))}
        />
      ),
    },
    {
      // Who may ask, over a merchant group's large-payment threshold: one cell, so the list fits 1280 px.
      title: w('rules'),
      dataIndex: 'allowedUserIds',
      width: 150,
      render: (_, g) => (
        <TwoLineCell
          secondaryMono={false}
          secondaryTip={w('largePayment')}
          secondary={
            g.subject !== 'merchant'
              ? undefined
              : g.largePaymentThreshold === null
                ? `${w('largePayment')}: ${w('largePaymentOff')}`
                : `${w('largePayment')} ${w('largePaymentFrom', { amount: yuan(g.largePaymentThreshold) })}`
          }
        >
          {g.allowedUserIds.length === 0
            ? w('allowedUsersAll')
            : w('allowedUsersCount', { count: g.allowedUserIds.length })}
        </TwoLineCell>
      ),
    },
    {
      title: w('lastActivity'),
      dataIndex: 'lastActivityAt',
      width: 150,
      render: (_, g) => (g.lastActivityAt ? dateTime(g.lastActivityAt) : w('never')),
    },
    {
      title: t('common:actions.more'),
      key: 'actions',
      width: 160,
      render: (_, g) => (
        <Space size={[12, 0]} wrap>
          <GroupSettings area={area} group={g} onDone={reload} />
          <RowAction
            onClick={async () => {
              try {
                await api.post(`${base}/groups/${g.id}/test`, {});
                message.success(w('testSent'));
              } catch (e) {
                message.error(errorText(e));
              }
            }}
          >
            {w('test')}
          </RowAction>
          <Popconfirm
            title={w('unbindConfirm', { name: groupName(g) })}
            onConfirm={async () => {
              try {
                await api.del(`${base}/groups/${g.id}`);
                message.success(w('unbound'));
                reload();
              } catch (e) {
                message.error(errorText(e));
              }
            }}
          >
            <RowAction danger>{w('unbind')}</RowAction>
          </Popconfirm>
        </Space>
      ),
    },
  ];

  return (
    <div data-testid="bot-groups">
      <ProTable<BotGroup>
        rowKey="id"
        actionRef={actionRef}
        columns={columns}
        cardBordered
        search={false}
        headerTitle={w('groups')}
        tooltip={w('groupsHint')}
        scroll={{ x: widthOf(columns) }}
        columnsState={remembered(`${area}.botGroups`)}
        size="middle"
        pagination={false}
        options={{ density: true, setting: true, reload: true }}
        toolBarRender={() => [
          <BindingCode key="code" area={area} botUsername={botUsername} onDone={reload} />,
        ]}
        onRequestError={onRequestError}
        request={async () => {
          const answer = await api.get<{ items: BotGroup[] }>(`${base}/groups`);
          return { data: answer.items, total: answer.items.length, success: true };
        }}
      />
    </div>
  );
}

/** 生成绑定码: for the operators or a merchant (operators), or the session's merchant (the portal). */
function BindingCode({
  area,
  botUsername,
  onDone,
}: {
  area: BotArea;
  botUsername: string | null;
  onDone: () => void;
}) {
  const { t, i18n } = useTranslation([area, 'common']);
  const w = (key: string, options?: Record<string, unknown>) => t(`${area}:bot.${key}`, options);
  const [error, setError] = useState<unknown>(null);
  const [code, setCode] = useState<{ command: string; expiresAt: string } | null>(null);
  const { message } = App.useApp();
  // Closing the code's dialog shows the group it bound meanwhile.
  const closeCode = () => {
    setCode(null);
    onDone();
  };
  return (
    <>
      <ModalForm<{ subject?: 'operators' | 'merchant'; mchNo?: string; language: BotLanguage }>
        title={w('newCodeTitle')}
        width={480}
        modalProps={{ destroyOnHidden: true, afterClose: () => setError(null) }}
        trigger={
          <Button type="primary" icon={<PlusOutlined />}>
            {w('newCode')}
          </Button>
        }
        initialValues={{ subject: 'operators', language: consoleLanguage(i18n.language) }}
        onFinish={async (v) => {
          setError(null);
          try {
            const body =
              area === 'operator'
                ? {
                    subject: v.subject,
                    language: v.language,
                    ...(v.subject === 'merchant' ? { mchNo: v.mchNo?.trim() } : {}),
                  }
                : { language: v.language };
            setCode(
              await api.post<{ command: string; expiresAt: string }>(`${baseOf(area)}/binding-codes`, body),
            );
            onDone();
            return true;
          } catch (e) {
            setError(e);
            return false;
          }
        }}
      >
        <ErrorAlert error={error} />
        {area === 'operator' && (
          <>
            <ProFormRadio.Group
              name="subject"
              label={w('codeFor')}
              options={[
                { value: 'operators', label: w('subjects.operators') },
                { value: 'merchant', label: w('subjects.merchant') },
              ]}
            />
            <ProFormDependencyMchNo label={w('merchantNo')} required={w('merchantNoRequired')} />
          </>
        )}
        <ProFormSelect
          name="language"
          label={w('language')}
          tooltip={w('codeLanguageHint')}
          options={(['zh', 'en'] as const).map((l) => ({ value: l, label: w(`languages.${l}`) }))}
          rules={[{ required: true }]}
        />
      </ModalForm>
      <Modal
        open={code !== null}
        title={w('codeTitle')}
        onCancel={closeCode}
        footer={<Button onClick={closeCode}>{w('close')}</Button>}
        destroyOnHidden
      >
        {code && (
          <Space direction="vertical" style={{ width: '100%' }} data-testid="binding-code">
            <Typography.Text>
              {botUsername ? w('codeHowTo', { bot: `@${botUsername}` }) : w('codeHowToNoName')}
            </Typography.Text>
            <Typography.Paragraph
              className="qy-mono"
              style={{ fontSize: 18, margin: 0 }}
              copyable={{
                text: code.command,
                tooltips: [w('copy'), w('copied')],
                onCopy: () => message.success(w('copied')),
              }}
            >
              {code.command}
            </Typography.Paragraph>
            <Typography.Text type="secondary">
              {w('codeExpires', { time: dateTime(code.expiresAt) })}
            </Typography.Text>
          </Space>
        )}
      </Modal>
    </>
  );
}

/** The merchant number, asked only when the code is for a merchant. */
function ProFormDependencyMchNo({ label, required }: { label: string; required: string }) {
  return (
    <ProFormText
      name="mchNo"
      label={label}
      dependencies={['subject']}
      fieldProps={{ autoComplete: 'off', maxLength: 32 }}
      rules={[
        ({ getFieldValue }) => ({
          validator: async (_rule, value: unknown) => {
            if (getFieldValue('subject') === 'merchant' && !String(value ?? '').trim())
              throw new Error(required);
          },
        }),
      ]}
    />
  );
}

/** A group's settings: its language, the members allowed to ask, a merchant group's large-payment threshold. */
function GroupSettings({ area, group, onDone }: { area: BotArea; group: BotGroup; onDone: () => void }) {
  const { t } = useTranslation([area, 'common']);
  const w = (key: string, options?: Record<string, unknown>) => t(`${area}:bot.${key}`, options);
  const { message } = App.useApp();
  const [error, setError] = useState<unknown>(null);
  return (
    <ModalForm<{ language: BotLanguage; allowedUserIds?: string; largePaymentThreshold?: string }>
      title={w('editTitle', { name: groupName(group) })}
      width={480}
      modalProps={{ destroyOnHidden: true, afterClose: () => setError(null) }}
      trigger={<RowAction>{w('edit')}</RowAction>}
      initialValues={{
        language: group.language,
        allowedUserIds: group.allowedUserIds.join('\n'),
        largePaymentThreshold: yuanPlain(group.largePaymentThreshold),
      }}
      onFinish={async (v) => {
        setError(null);
        try {
          await api.patch(`${baseOf(area)}/groups/${group.id}`, {
            language: v.language,
            allowedUserIds: userIds(v.allowedUserIds),
            ...(group.subject === 'merchant'
              ? { largePaymentThreshold: minorOrNull(v.largePaymentThreshold) }
              : {}),
          });
          message.success(w('groupSaved'));
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
        name="language"
        label={w('language')}
        options={(['zh', 'en'] as const).map((l) => ({ value: l, label: w(`languages.${l}`) }))}
        rules={[{ required: true }]}
      />
      <ProFormTextArea
        name="allowedUserIds"
        label={w('allowedUsers')}
        extra={w('allowedUsersHint')}
        fieldProps={{ rows: 3 }}
        rules={[
          {
            validator: async (_rule: unknown, value: unknown) => {
              const ids = String(value ?? '')
                .split(/[\s,，]+/)
                .filter(Boolean);
              if (ids.length > 100 || ids.some((id) => !/^\d{1,16}$/.test(id))) {
                throw new Error(w('allowedUsersFormat'));
              }
            },
          },
        ]}
      />
      {group.subject === 'merchant' && (
        <ProFormText
          name="largePaymentThreshold"
          label={w('largePayment')}
          extra={w('largePaymentHint')}
          fieldProps={{ prefix: '¥', inputMode: 'decimal', autoComplete: 'off' }}
          rules={[amountRule(false)]}
        />
      )}
    </ModalForm>
  );
}

function userIds(text: string | undefined): string[] {
  return String(text ?? '')
    .split(/[\s,，]+/)
    .filter(Boolean);
}
