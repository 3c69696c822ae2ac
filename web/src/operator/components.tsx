import { ProFormSelect, type ProFormSelectProps } from '@ant-design/pro-components';
import { App, Badge, Switch, Tag } from 'antd';
import { useTranslation } from 'react-i18next';
import { api, qs } from '../api.ts';
import { errorText } from '../shell/errors.ts';
import { itemsOf, type ListPage, type Merchant, type MerchantState, type OrderState } from './types.ts';

const ORDER_STATE_COLORS: Record<string, string> = {
  created: 'default',
  paying: 'processing',
  paid: 'success',
  failed: 'error',
  closed: 'default',
  partially_refunded: 'warning',
  refunded: 'purple',
};

export function OrderStateTag({ state }: { state: OrderState | string }) {
  const { t } = useTranslation('operator');
  return (
    <Tag color={ORDER_STATE_COLORS[state] ?? 'default'} bordered={false}>
      {t(`glossary:orderState.${state}`, { defaultValue: state })}
    </Tag>
  );
}

const NOTIFY_STATUS: Record<string, 'default' | 'processing' | 'success' | 'error'> = {
  none: 'default',
  pending: 'processing',
  succeeded: 'success',
  failed: 'error',
};

export function NotifyStateBadge({ state }: { state: string }) {
  const { t } = useTranslation('operator');
  return (
    <Badge
      status={NOTIFY_STATUS[state] ?? 'default'}
      text={t(`glossary:notifyState.${state}`, { defaultValue: state })}
    />
  );
}

const MERCHANT_STATE_COLORS: Record<MerchantState, string> = {
  pending: 'gold',
  enabled: 'green',
  disabled: 'default',
  rejected: 'red',
};

export function MerchantStateTag({ state }: { state: MerchantState }) {
  const { t } = useTranslation('operator');
  return (
    <Tag color={MERCHANT_STATE_COLORS[state] ?? 'default'} bordered={false}>
      {t(`merchantState.${state}`)}
    </Tag>
  );
}

export function EnabledBadge({ enabled }: { enabled: boolean | undefined }) {
  const { t } = useTranslation();
  return enabled === false ? (
    <Badge status="default" text={t('common.disabled')} />
  ) : (
    <Badge status="success" text={t('common.enabled')} />
  );
}

/**
 * An enabled/disabled switch that saves at once (PATCH `{ enabled }` to `path`) and says so, for
 * operators who may change it; the plain badge for the others.
 */
export function EnabledSwitch(props: {
  enabled: boolean;
  writable: boolean;
  path: string;
  label: string;
  doneText: (enabled: boolean) => string;
  onSaved: () => void;
}) {
  const { message } = App.useApp();
  if (!props.writable) return <EnabledBadge enabled={props.enabled} />;
  return (
    <Switch
      size="small"
      checked={props.enabled}
      aria-label={props.label}
      onChange={async (enabled) => {
        try {
          await api.patch(props.path, { enabled });
          message.success(props.doneText(enabled));
          props.onSaved();
        } catch (e) {
          message.error(errorText(e));
        }
      }}
    />
  );
}

/** Value enum for ProTable filters of order states. */
export function useOrderStateEnum() {
  const { t } = useTranslation('operator');
  return Object.fromEntries(
    Object.keys(ORDER_STATE_COLORS).map((s) => [s, { text: t(`glossary:orderState.${s}`) }]),
  ) as Record<string, { text: string }>;
}

/** Searches merchants by number or name for a select (server-side search). */
export async function searchMerchants(keyWords?: string): Promise<{ label: string; value: string }[]> {
  try {
    const answer = await api.get<ListPage<Merchant> | Merchant[]>(
      `/api/admin/merchants${qs({ q: keyWords?.trim(), limit: 20 })}`,
    );
    return itemsOf(answer).map((m) => ({ label: `${m.name}（${m.mchNo}）`, value: m.mchNo }));
  } catch {
    // A failed search offers nothing to pick; a 401 is handled by the shell.
    return [];
  }
}

/** A ProForm select of merchants with search as you type. */
export function MerchantSelect(props: ProFormSelectProps) {
  return (
    <ProFormSelect
      showSearch
      debounceTime={300}
      request={async ({ keyWords }) => searchMerchants(keyWords)}
      {...props}
      fieldProps={{ filterOption: false, ...props.fieldProps }}
    />
  );
}

/** A row's profit: green when positive, red when negative. */
export function ProfitText({ value, text }: { value: number | null | undefined; text: string }) {
  if (value === null || value === undefined) return <span>-</span>;
  return <span style={{ color: value > 0 ? '#237804' : value < 0 ? '#cf1322' : undefined }}>{text}</span>;
}
