import { ApiOutlined, CheckCircleFilled } from '@ant-design/icons';
import { ProFormSelect, ProFormText, ProFormTextArea } from '@ant-design/pro-components';
import { Alert, Button, Descriptions, Modal, Space, Tag, Typography } from 'antd';
import type { Rule } from 'antd/es/form';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, api } from '../../api.ts';
import { connectionTestText, errorText } from '../../shell/errors.ts';
import { urlRule } from '../../shell/forms.ts';
import type { Adapter, ChannelAccount, CredentialField, Words } from '../types.ts';

/** An adapter's words in the console's language. */
export function useWords(): (words: Words | undefined) => string {
  const { i18n } = useTranslation();
  return (words) => (words ? (i18n.language.startsWith('en') ? words.en : words.zh) : '');
}

const writeOnly = (field: CredentialField) => field.kind === 'secret' || field.kind === 'pem';

/**
 * The adapter's credential fields (its `credentialFields`), in order, under `credentials.<key>`.
 * Secrets and keys are write-only: a stored one shows 已保存 and a blank input, which keeps it.
 */
export function CredentialFields({ adapter, account }: { adapter: Adapter; account?: ChannelAccount }) {
  const { t } = useTranslation(['operator', 'common']);
  const words = useWords();
  const stored = new Set(account?.storedSecrets ?? []);
  return (
    <>
      {adapter.credentialFields.map((field) => {
        const isStored = writeOnly(field) && stored.has(field.key);
        const label = (
          <Space size={6}>
            <span>{words(field.label)}</span>
            {isStored && (
              <Tag color="green" data-testid={`secret-saved-${field.key}`}>
                {t('common:common.saved')}
              </Tag>
            )}
          </Space>
        );
        const rules: Rule[] = [];
        // A stored secret left blank keeps its value; a required field is otherwise required.
        if (field.required && !isStored)
          rules.push({
            required: true,
            whitespace: true,
            message: t('accounts.fieldRequired', { field: words(field.label) }),
          });
        if (field.kind === 'url') rules.push(urlRule());
        const help = [
          words(field.help),
          isStored ? t('accounts.secretKeep') : '',
          field.kind === 'url' && field.defaultValue
            ? t('accounts.urlDefault', { url: field.defaultValue })
            : '',
        ]
          .filter(Boolean)
          .join(' ');
        const common = {
          name: ['credentials', field.key],
          label,
          extra: help || undefined,
          rules,
        };
        const placeholder = isStored ? t('accounts.secretPlaceholder') : field.placeholder;
        if (field.kind === 'pem')
          return (
            <ProFormTextArea
              key={field.key}
              {...common}
              placeholder={placeholder ?? '-----BEGIN …-----'}
              fieldProps={{
                rows: 4,
                className: 'qy-mono',
                style: { fontSize: 12 },
                autoComplete: 'off',
                spellCheck: false,
                'aria-label': words(field.label),
              }}
            />
          );
        if (field.kind === 'secret')
          return (
            <ProFormText.Password
              key={field.key}
              {...common}
              placeholder={placeholder}
              fieldProps={{ autoComplete: 'new-password', 'aria-label': words(field.label) }}
            />
          );
        if (field.kind === 'choice')
          return (
            <ProFormSelect
              key={field.key}
              {...common}
              placeholder={placeholder}
              options={(field.choices ?? []).map((c) => ({ value: c.value, label: words(c.label) }))}
              fieldProps={{ 'aria-label': words(field.label) }}
            />
          );
        return (
          <ProFormText
            key={field.key}
            {...common}
            placeholder={placeholder ?? (field.kind === 'url' ? field.defaultValue : undefined)}
            fieldProps={{
              autoComplete: 'off',
              spellCheck: false,
              inputMode: field.kind === 'url' ? 'url' : undefined,
              'aria-label': words(field.label),
            }}
          />
        );
      })}
    </>
  );
}

/** The credentials as typed, for the API: every declared field, blank ones as '' (blank secret = keep). */
export function credentialsOf(
  adapter: Adapter,
  typed: Record<string, string | undefined> | undefined,
): Record<string, string> {
  return Object.fromEntries(
    adapter.credentialFields.map((f) => [f.key, (typed?.[f.key] ?? '').toString().trim()]),
  );
}

/**
 * The field of a credential the server refused (`details.field = credentials.<key>`), with the
 * words to show under it; null for any other refusal.
 */
export function credentialProblem(
  error: unknown,
  adapter: Adapter,
  words: (w: Words | undefined) => string,
  t: (key: string, options?: Record<string, unknown>) => string,
): { name: ['credentials', string]; errors: string[] } | null {
  if (!(error instanceof ApiError) || error.code !== 'INVALID_REQUEST') return null;
  const field = (error.details as { field?: unknown } | undefined)?.field;
  if (typeof field !== 'string' || !field.startsWith('credentials.')) return null;
  const key = field.slice('credentials.'.length);
  const declared = adapter.credentialFields.find((f) => f.key === key);
  if (!declared) return null;
  return {
    name: ['credentials', key],
    errors: [t('accounts.fieldInvalid', { field: words(declared.label) })],
  };
}

interface ConnectionResult {
  ok: boolean;
  code?: string;
  message: string;
}

/**
 * The account's notify URLs to paste into the channel's portal (with copy buttons), and 测试连接:
 * a signed query with the saved credentials that proves the keys and the network, moving no money.
 */
export function ConnectionPanel({ account }: { account: ChannelAccount }) {
  const { t } = useTranslation(['operator', 'common']);
  const [testing, setTesting] = useState(false);
  const [result, setResult] = useState<ConnectionResult | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const test = async () => {
    setTesting(true);
    setResult(null);
    setFailure(null);
    try {
      setResult(
        await api.post<ConnectionResult>(`/api/admin/channel-accounts/${account.id}/test-connection`),
      );
    } catch (e) {
      setFailure(errorText(e));
    } finally {
      setTesting(false);
    }
  };
  return (
    <div data-testid="connection-panel">
      <Typography.Paragraph type="secondary" style={{ marginBottom: 8 }}>
        {t('accounts.notifyHint')}
      </Typography.Paragraph>
      <Descriptions column={1} size="small" bordered style={{ marginBottom: 16 }}>
        <Descriptions.Item label={t('glossary:notifyUrl')}>
          <Typography.Text className="qy-mono" copyable data-testid="notify-url" style={{ fontSize: 12 }}>
            {account.notifyUrl ?? ''}
          </Typography.Text>
        </Descriptions.Item>
        <Descriptions.Item label={t('glossary:refundNotifyUrl')}>
          <Typography.Text className="qy-mono" copyable style={{ fontSize: 12 }}>
            {account.refundNotifyUrl ?? ''}
          </Typography.Text>
        </Descriptions.Item>
      </Descriptions>
      <Space direction="vertical" style={{ width: '100%' }}>
        <Space wrap>
          <Button icon={<ApiOutlined />} loading={testing} onClick={() => void test()}>
            {t('accounts.testConnection')}
          </Button>
          <Typography.Text type="secondary">{t('accounts.testConnectionHint')}</Typography.Text>
        </Space>
        {result && (
          <Alert
            data-testid="connection-result"
            type={result.ok ? 'success' : 'error'}
            showIcon
            icon={result.ok ? <CheckCircleFilled /> : undefined}
            message={connectionTestText(result)}
            description={
              <details>
                <summary>{t('errors:technical.title')}</summary>
                <span className="qy-mono" style={{ fontSize: 12 }}>
                  {result.code ? `${result.code}: ` : ''}
                  {result.message}
                </span>
              </details>
            }
          />
        )}
        {failure && <Alert data-testid="connection-result" type="error" showIcon message={failure} />}
      </Space>
    </div>
  );
}

/** 测试连接 in an account's row: the connection panel in a dialog. */
export function ConnectionButton({ account }: { account: ChannelAccount }) {
  const { t } = useTranslation(['operator', 'common']);
  const [open, setOpen] = useState(false);
  return (
    <>
      <Button type="link" size="small" style={{ padding: 0 }} onClick={() => setOpen(true)}>
        {t('accounts.connection')}
      </Button>
      <Modal
        open={open}
        title={t('accounts.connectionTitle', { name: account.name })}
        width={640}
        footer={null}
        destroyOnHidden
        onCancel={() => setOpen(false)}
      >
        <ConnectionPanel account={account} />
      </Modal>
    </>
  );
}

/** What an adapter serves and can do, as tags: its pay ways, then refunds, pay codes, payouts, statements. */
export function AdapterCapabilities({ adapter }: { adapter: Adapter | undefined }) {
  const { t } = useTranslation(['operator', 'common']);
  if (!adapter) return null;
  const capabilities = (['refunds', 'authCode', 'payouts', 'statements'] as const).filter(
    (c) => adapter.capabilities[c],
  );
  return (
    <Space direction="vertical" size={4}>
      <Space size={[4, 4]} wrap>
        {adapter.payWays.map((way) => (
          <Tag key={way} color="blue">
            {t(`glossary:payWays.${way}`)}
          </Tag>
        ))}
      </Space>
      <Space size={[4, 4]} wrap>
        {capabilities.map((c) => (
          <Tag key={c}>{t(`channels.capability.${c}`)}</Tag>
        ))}
        {adapter.testChannel && <Tag color="orange">{t('channels.testChannel')}</Tag>}
      </Space>
    </Space>
  );
}
