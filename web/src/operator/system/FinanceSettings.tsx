import { ProCard, ProForm, ProFormSwitch } from '@ant-design/pro-components';
import { App, Form, Skeleton, Typography } from 'antd';
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api.ts';
import { ErrorAlert } from '../../shell/ErrorAlert.tsx';
import { errorText } from '../../shell/errors.ts';
import { useCan } from '../../shell/session.tsx';
import { useApi } from '../../shell/useApi.ts';
import {
  PAYOUT_RULE_FIELDS,
  RuleFields,
  rulesFromForm,
  rulesToForm,
  type SettlementTerms,
  TermsFields,
  type TermsForm,
  termsFromForm,
  termsToForm,
  WITHDRAWAL_RULE_FIELDS,
} from '../finance.tsx';

const card = { bordered: true, headerBordered: true, style: { maxWidth: 720, marginTop: 16 } } as const;

/** 结算默认设置: the terms every merchant without its own has, and whether test orders settle. */
export function SettlementDefaultsCard() {
  const { t } = useTranslation(['operator', 'common']);
  const { message } = App.useApp();
  const writable = useCan()('finance.configure');
  const defaults = useApi<{ terms: SettlementTerms; settleTestOrders: boolean }>(
    '/api/admin/settlement/defaults',
  );
  const [form] = Form.useForm<TermsForm & { settleTestOrders: boolean }>();
  useEffect(() => {
    if (defaults.data)
      form.setFieldsValue({
        ...termsToForm(defaults.data.terms),
        settleTestOrders: defaults.data.settleTestOrders,
      });
  }, [defaults.data, form]);

  return (
    <ProCard {...card} title={t('financeSettings.settlementTitle')} data-testid="settlement-defaults">
      <Typography.Paragraph type="secondary">{t('financeSettings.settlementDesc')}</Typography.Paragraph>
      <ErrorAlert error={defaults.error} />
      {!defaults.data && defaults.loading ? (
        <Skeleton active />
      ) : (
        <ProForm<TermsForm & { settleTestOrders: boolean }>
          form={form}
          layout="vertical"
          disabled={!writable}
          submitter={
            writable
              ? { resetButtonProps: false, searchConfig: { submitText: t('common:actions.save') } }
              : false
          }
          onFinish={async (v) => {
            try {
              await api.put('/api/admin/settlement/defaults', {
                terms: termsFromForm(v),
                settleTestOrders: !!v.settleTestOrders,
              });
              message.success(t('financeSettings.saved'));
              await defaults.reload();
              return true;
            } catch (e) {
              message.error(errorText(e));
              return false;
            }
          }}
        >
          <TermsFields disabled={!writable} />
          <ProFormSwitch
            name="settleTestOrders"
            label={t('financeSettings.settleTestOrders')}
            extra={t('financeSettings.settleTestOrdersHint')}
          />
        </ProForm>
      )}
    </ProCard>
  );
}

/** 提现规则 and 代付规则: the platform's defaults; a merchant's override (结算 tab) replaces single fields. */
export function RulesCard({ kind }: { kind: 'withdrawal' | 'payout' }) {
  const { t } = useTranslation(['operator', 'common']);
  const { message } = App.useApp();
  const writable = useCan()('finance.configure');
  const fields = kind === 'withdrawal' ? WITHDRAWAL_RULE_FIELDS : PAYOUT_RULE_FIELDS;
  const path = `/api/admin/settings/${kind}-rules`;
  const rules = useApi<Record<string, unknown>>(path);
  const [form] = Form.useForm<Record<string, unknown>>();
  useEffect(() => {
    if (rules.data) {
      form.setFieldsValue({
        ...rulesToForm(fields, rules.data),
        ...(kind === 'withdrawal' ? { cardChangeReview: !!rules.data.cardChangeReview } : {}),
      });
    }
  }, [rules.data, form, fields, kind]);

  return (
    <ProCard
      {...card}
      title={t(kind === 'withdrawal' ? 'financeSettings.withdrawalTitle' : 'financeSettings.payoutTitle')}
      data-testid={`${kind}-rules`}
    >
      <Typography.Paragraph type="secondary">
        {t(kind === 'withdrawal' ? 'financeSettings.withdrawalDesc' : 'financeSettings.payoutDesc')}
      </Typography.Paragraph>
      <ErrorAlert error={rules.error} />
      {!rules.data && rules.loading ? (
        <Skeleton active />
      ) : (
        <ProForm<Record<string, unknown>>
          form={form}
          layout="vertical"
          disabled={!writable}
          submitter={
            writable
              ? { resetButtonProps: false, searchConfig: { submitText: t('common:actions.save') } }
              : false
          }
          onFinish={async (v) => {
            try {
              await api.put(path, {
                ...rulesFromForm(fields, v),
                ...(kind === 'withdrawal' ? { cardChangeReview: !!v.cardChangeReview } : {}),
              });
              message.success(t('financeSettings.saved'));
              await rules.reload();
              return true;
            } catch (e) {
              message.error(errorText(e));
              return false;
            }
          }}
        >
          <RuleFields
            fields={fields}
            section={kind === 'withdrawal' ? 'withdrawalRules' : 'payoutRules'}
            disabled={!writable}
          />
          {kind === 'withdrawal' && (
            <ProFormSwitch
              name="cardChangeReview"
              label={t('financeSettings.cardChangeReview')}
              extra={t('financeSettings.cardChangeReviewHint')}
            />
          )}
        </ProForm>
      )}
    </ProCard>
  );
}
