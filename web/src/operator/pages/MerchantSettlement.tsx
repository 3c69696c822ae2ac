import { ProCard, ProForm } from '@ant-design/pro-components';
import { App, Col, Form, Row, Skeleton, Statistic, Typography } from 'antd';
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { api, qs } from '../../api.ts';
import { ErrorAlert } from '../../shell/ErrorAlert.tsx';
import { errorText } from '../../shell/errors.ts';
import { yuan } from '../../shell/format.ts';
import { useCan } from '../../shell/session.tsx';
import type { ListPage } from '../../shell/tablePage.ts';
import { useApi } from '../../shell/useApi.ts';
import {
  type BalanceRow,
  PAYOUT_RULE_FIELDS,
  RuleFields,
  rulesFromForm,
  rulesToForm,
  SettlementModeTag,
  type SettlementTerms,
  TermsFields,
  type TermsForm,
  termsFromForm,
  termsToForm,
  WITHDRAWAL_RULE_FIELDS,
} from '../finance.tsx';

const card = { bordered: true, headerBordered: true, style: { marginBottom: 16 } } as const;

/** An answer that may wrap what it holds (`{ terms }`, `{ overrides }`) or be it. */
function unwrap<T>(answer: unknown, key: string): T | undefined {
  if (!answer || typeof answer !== 'object') return undefined;
  const inner = (answer as Record<string, unknown>)[key];
  return (inner && typeof inner === 'object' ? inner : answer) as T;
}

/** The merchant's 结算 tab: balances, settlement terms, and its withdrawal and payout rule overrides. */
export function MerchantSettlementPanel({ mchNo }: { mchNo: string }) {
  return (
    <div data-testid="merchant-settlement">
      <BalancesCard mchNo={mchNo} />
      <TermsCard mchNo={mchNo} />
      <OverrideCard mchNo={mchNo} kind="withdrawal" />
      <OverrideCard mchNo={mchNo} kind="payout" />
    </div>
  );
}

function BalancesCard({ mchNo }: { mchNo: string }) {
  const { t } = useTranslation(['operator', 'common']);
  const page = useApi<ListPage<BalanceRow>>(`/api/admin/balances${qs({ q: mchNo, page: 1, pageSize: 20 })}`);
  const b = page.data?.items.find((r) => r.mchNo === mchNo);
  return (
    <ProCard
      {...card}
      title={t('merchantSettlement.balances')}
      extra={b ? <SettlementModeTag mode={b.mode} /> : undefined}
    >
      <ErrorAlert error={page.error} />
      {!page.data && page.loading ? (
        <Skeleton active paragraph={{ rows: 1 }} />
      ) : (
        <Row gutter={[16, 16]} data-testid="merchant-balances">
          {(['pending', 'available', 'frozen', 'reserved'] as const).map((key) => (
            <Col xs={12} md={6} key={key}>
              <Statistic title={t(`glossary:balance.${key}`)} value={yuan(b?.[key] ?? 0, b?.currency)} />
            </Col>
          ))}
        </Row>
      )}
    </ProCard>
  );
}

function TermsCard({ mchNo }: { mchNo: string }) {
  const { t } = useTranslation(['operator', 'common']);
  const { message } = App.useApp();
  const writable = useCan()('finance.configure');
  const path = `/api/admin/merchants/${encodeURIComponent(mchNo)}/settlement-terms`;
  const answer = useApi<unknown>(path);
  const terms = unwrap<SettlementTerms>(answer.data, 'terms');
  const [form] = Form.useForm<TermsForm>();
  useEffect(() => {
    if (terms) form.setFieldsValue(termsToForm(terms));
  }, [terms, form]);
  return (
    <ProCard {...card} title={t('merchantSettlement.terms')} data-testid="merchant-terms">
      <Typography.Paragraph type="secondary">{t('merchantSettlement.termsDesc')}</Typography.Paragraph>
      <ErrorAlert error={answer.error} />
      {!answer.data && answer.loading ? (
        <Skeleton active />
      ) : (
        <ProForm<TermsForm>
          form={form}
          layout="vertical"
          style={{ maxWidth: 720 }}
          disabled={!writable}
          submitter={
            writable
              ? { resetButtonProps: false, searchConfig: { submitText: t('common:actions.save') } }
              : false
          }
          onFinish={async (v) => {
            try {
              await api.put(path, termsFromForm(v));
              message.success(t('merchantSettlement.termsSaved'));
              await answer.reload();
              return true;
            } catch (e) {
              message.error(errorText(e));
              return false;
            }
          }}
        >
          <TermsFields disabled={!writable} />
        </ProForm>
      )}
    </ProCard>
  );
}

function OverrideCard({ mchNo, kind }: { mchNo: string; kind: 'withdrawal' | 'payout' }) {
  const { t } = useTranslation(['operator', 'common']);
  const { message } = App.useApp();
  const writable = useCan()('finance.configure');
  const fields = kind === 'withdrawal' ? WITHDRAWAL_RULE_FIELDS : PAYOUT_RULE_FIELDS;
  const path = `/api/admin/merchants/${encodeURIComponent(mchNo)}/${kind}-rules`;
  const answer = useApi<unknown>(path);
  const defaults = useApi<Record<string, unknown>>(`/api/admin/settings/${kind}-rules`);
  const overrides = unwrap<Record<string, unknown>>(answer.data, 'overrides');
  const [form] = Form.useForm<Record<string, unknown>>();
  useEffect(() => {
    if (overrides) form.setFieldsValue(rulesToForm(fields, overrides));
  }, [overrides, form, fields]);
  return (
    <ProCard
      {...card}
      title={t(
        kind === 'withdrawal' ? 'merchantSettlement.withdrawalRules' : 'merchantSettlement.payoutRules',
      )}
      data-testid={`merchant-${kind}-rules`}
    >
      <Typography.Paragraph type="secondary">{t('merchantSettlement.overrideDesc')}</Typography.Paragraph>
      <ErrorAlert error={answer.error} />
      {!answer.data && answer.loading ? (
        <Skeleton active />
      ) : (
        <ProForm<Record<string, unknown>>
          form={form}
          layout="vertical"
          style={{ maxWidth: 720 }}
          disabled={!writable}
          submitter={
            writable
              ? { resetButtonProps: false, searchConfig: { submitText: t('common:actions.save') } }
              : false
          }
          onFinish={async (v) => {
            try {
              await api.put(path, rulesFromForm(fields, v));
              message.success(t('merchantSettlement.rulesSaved'));
              await answer.reload();
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
            defaults={defaults.data ?? null}
            disabled={!writable}
          />
        </ProForm>
      )}
    </ProCard>
  );
}
