import { ProFormSelect } from '@ant-design/pro-components';
import { Space, Tag, Tooltip, Typography } from 'antd';
import type { Rule } from 'antd/es/form';
import { useTranslation } from 'react-i18next';
import i18n from '../i18n.ts';

// An app's IP allowlist, edited and shown the same way in the operator console and the merchant portal:
// one tag per IP address or CIDR range (typed, or pasted as a list), checked as the server checks it.

/** The server's limit (src/merchants/routes.ts `ipList`). */
export const MAX_IP_ENTRIES = 50;

/** A first check in the browser; the server decides (it parses every address). */
export function looksLikeIpOrCidr(entry: string): boolean {
  const [address = '', prefix, ...rest] = entry.split('/');
  if (rest.length > 0) return false;
  const v4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(address);
  const v6 =
    !v4 && /^[0-9a-f:.]+$/i.test(address) && address.includes(':') && address.split('::').length <= 2;
  if (!v4 && !v6) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (v4 ? 32 : 128);
}

/** The list as it is sent: entries trimmed, blanks and repeats dropped. */
export function ipAllowlistOf(list: readonly string[] | undefined): string[] {
  return [...new Set((list ?? []).map((ip) => ip.trim()).filter(Boolean))];
}

/** What is wrong with the list (the first bad entry, or too many), or null. */
export function ipAllowlistProblem(list: readonly string[] | undefined): string | null {
  const entries = ipAllowlistOf(list);
  const bad = entries.find((ip) => !looksLikeIpOrCidr(ip));
  if (bad !== undefined) return i18n.t('common:ipAllowlist.invalid', { ip: bad });
  if (entries.length > MAX_IP_ENTRIES) return i18n.t('common:ipAllowlist.tooMany', { max: MAX_IP_ENTRIES });
  return null;
}

export const ipAllowlistRule: Rule = {
  validator: async (_rule, list: string[] | undefined) => {
    const problem = ipAllowlistProblem(list);
    if (problem) throw new Error(problem);
  },
};

/** The form field: `name` holds a string[] (an empty list allows any address). */
export function IpAllowlistField({ name = 'ipAllowlist' }: { name?: string }) {
  const { t } = useTranslation();
  return (
    <ProFormSelect
      name={name}
      label={t('common:ipAllowlist.label')}
      mode="tags"
      placeholder={t('common:ipAllowlist.placeholder')}
      extra={t('common:ipAllowlist.hint', { max: MAX_IP_ENTRIES })}
      fieldProps={{
        tokenSeparators: [',', ' ', '\n', ';', '，', '；'],
        open: false,
        suffixIcon: null,
        className: 'qy-mono',
        'aria-label': t('common:ipAllowlist.label'),
        tagRender: ({ label, value, closable, onClose }) => (
          <Tag
            closable={closable}
            onClose={onClose}
            color={looksLikeIpOrCidr(String(value).trim()) ? undefined : 'error'}
            className="qy-mono"
            style={{ marginInlineEnd: 4 }}
          >
            {label}
          </Tag>
        ),
      }}
      rules={[ipAllowlistRule]}
      data-testid="ip-allowlist-field"
    />
  );
}

/** The list as read-only tags; `limit` shows the first few and the rest in a tooltip (for tables). */
export function IpAllowlistTags({ list, limit }: { list: readonly string[]; limit?: number }) {
  const { t } = useTranslation();
  if (list.length === 0) {
    return (
      <Typography.Text type="secondary" data-testid="ip-allowlist">
        {t('common:ipAllowlist.any')}
      </Typography.Text>
    );
  }
  const shown = limit === undefined ? list : list.slice(0, limit);
  const tags = (
    <Space size={[0, 4]} wrap data-testid="ip-allowlist">
      {shown.map((ip) => (
        <Tag key={ip} className="qy-mono">
          {ip}
        </Tag>
      ))}
      {list.length > shown.length && <Tag>+{list.length - shown.length}</Tag>}
    </Space>
  );
  return list.length > shown.length ? <Tooltip title={list.join(', ')}>{tags}</Tooltip> : tags;
}
