import { ProFormRadio, ProFormSelect, ProFormText } from '@ant-design/pro-components';
import { Col, Row, Space, Tag, Tooltip, Typography } from 'antd';
import type { Rule } from 'antd/es/form';
import { useTranslation } from 'react-i18next';
import { api, qs } from '../api.ts';
import { percentFromPpm, percentPlain, ppmFromPercent, yuan, yuanPlain } from '../shell/format.ts';
import { amountProblem, integerRule, percentRule } from '../shell/forms.ts';
import { TwoLineCell } from '../shell/TwoLineCell.tsx';
import type { ListPage } from '../shell/tablePage.ts';

// The money-out half in the operator console (settlement, balances, withdrawals, payouts): the
// shapes the /api/admin finance routes answer, their state tags, and the rule editors the system
// settings (platform defaults) and the merchant's 结算 tab (overrides) share.

import {
  PAYOUT_STATES,
  type PayoutState,
  WITHDRAWAL_STATES,
  type WithdrawalState,
} from '../shell/financeFormat.ts';

// The state tags and the withdrawal's progress are the merchant portal's too (shell/withdrawalProgress.tsx).
export { PayoutStateTag, WithdrawalProgress, WithdrawalStateTag } from '../shell/withdrawalProgress.tsx';
export type SettlementMode = 'platform' | 'direct';
export type SettlementCycle = 'D0' | 'D1' | 'T1' | 'TN';

export const SETTLEMENT_CYCLES: SettlementCycle[] = ['D0', 'D1', 'T1', 'TN'];

/**
 * Whose a withdrawal, payout or bank card is: a merchant's (its number and name), an agent's or a
 * marketplace member's (each its number and name). Rows from before agents withdrew have no
 * `ownerKind`: a merchant's.
 */
export interface OwnerFields {
  ownerKind?: 'merchant' | 'agent' | 'member';
  mchNo?: string | null;
  merchantName?: string | null;
  agentNo?: string | null;
  agentName?: string | null;
  memberNo?: string | null;
  memberName?: string | null;
}

/** A tagged owner (an agent or a member): its number, name, tag colour and the words of its number. */
function taggedOwner(row: OwnerFields) {
  if (row.ownerKind === 'agent')
    return {
      kind: 'agent',
      no: row.agentNo,
      name: row.agentName,
      color: 'geekblue',
      noWord: 'owner.agentNo',
    } as const;
  if (row.ownerKind === 'member')
    return {
      kind: 'member',
      no: row.memberNo,
      name: row.memberName,
      color: 'cyan',
      noWord: 'owner.memberNo',
    } as const;
  return null;
}

/** An owner in a list cell: a merchant's name over its number, or an agent's with the 代理商 tag. */
export function OwnerCell({ row, maxWidth = 168 }: { row: OwnerFields; maxWidth?: number }) {
  const { t } = useTranslation('operator');
  const tagged = taggedOwner(row);
  if (tagged) {
    return (
      <TwoLineCell secondary={tagged.no ?? ''} secondaryTip={t(tagged.noWord)}>
        <Space size={4} data-owner={tagged.kind}>
          <Tag color={tagged.color} style={{ marginInlineEnd: 0 }}>
            {t(`owner.kindWord.${tagged.kind}`)}
          </Tag>
          <Typography.Text ellipsis={{ tooltip: tagged.name }} style={{ maxWidth: maxWidth - 56 }}>
            {tagged.name || tagged.no}
          </Typography.Text>
        </Space>
      </TwoLineCell>
    );
  }
  return (
    <TwoLineCell secondary={row.mchNo ?? ''}>
      <Typography.Text ellipsis={{ tooltip: row.merchantName }} style={{ maxWidth }}>
        {row.merchantName || row.mchNo}
      </Typography.Text>
    </TwoLineCell>
  );
}

/** An owner in a sentence or a description: `name (number)`, an agent's with the 代理商 tag. */
export function OwnerText({ row }: { row: OwnerFields }) {
  const { t } = useTranslation('operator');
  const tagged = taggedOwner(row);
  return (
    <span data-owner={tagged?.kind ?? 'merchant'}>
      {tagged && (
        <Tag color={tagged.color} style={{ marginInlineEnd: 4 }}>
          {t(`owner.kindWord.${tagged.kind}`)}
        </Tag>
      )}
      {tagged ? tagged.name : row.merchantName}{' '}
      <Typography.Text type="secondary">({tagged ? tagged.no : row.mchNo})</Typography.Text>
    </span>
  );
}

export interface WithdrawalRow extends OwnerFields {
  withdrawNo: string;
  mchWithdrawNo: string | null;
  state: WithdrawalState;
  amount: number;
  fee: number;
  arrivalAmount: number;
  currency: string;
  card: { bankName: string; accountNoMasked: string; holderName?: string } | null;
  reason: string | null;
  createdAt: string;
  reviewedAt: string | null;
  submittedAt: string | null;
  paidAt: string | null;
  failedAt: string | null;
}

export interface WithdrawalDetail extends WithdrawalRow {
  events: { state: string; at: string; reason: string | null }[];
  payout: { payoutNo: string } | null;
}

export interface PayoutRow extends OwnerFields {
  payoutNo: string;
  mchPayoutNo?: string | null;
  kind: 'withdrawal' | 'payout';
  state: PayoutState;
  amount: number;
  fee: number;
  currency: string;
  payee?: { name: string; accountNoMasked: string; bankName: string } | null;
  channelAccountId: string | null;
  channelAccountName: string | null;
  channelPayoutNo: string | null;
  channelState: string | null;
  reason: string | null;
  withdrawNo?: string | null;
  createdAt: string;
  submittedAt: string | null;
  paidAt: string | null;
  failedAt: string | null;
}

export interface PayoutAttempt {
  at: string;
  action: string;
  outcome: string;
  code: string | null;
  message: string | null;
}

export interface PayoutDetail extends PayoutRow {
  attempts: PayoutAttempt[];
}

export interface SettlementTerms {
  mode: SettlementMode;
  cycle: SettlementCycle;
  d0Ppm: number;
  tnDays: number;
  reservePpm: number;
  reserveDays: number;
}

export interface BalanceRow {
  mchNo: string;
  merchantName: string;
  mode: SettlementMode;
  pending: number;
  available: number;
  frozen: number;
  reserved: number;
  currency?: string;
}

/**
 * A finance list's page: these routes page by `page` (1-based) and `pageSize`; limit and offset go
 * along for the older list schema (unknown query fields are dropped by the server).
 */
export async function fetchFinancePage<T>(
  path: string,
  filters: Parameters<typeof qs>[0],
  page: { current?: number; pageSize?: number },
) {
  const pageSize = page.pageSize ?? 20;
  const current = page.current ?? 1;
  const answer = await api.get<ListPage<T> | T[]>(
    `${path}${qs({ ...filters, page: current, pageSize, limit: pageSize, offset: (current - 1) * pageSize })}`,
  );
  const items = Array.isArray(answer) ? answer : answer.items;
  const total = Array.isArray(answer) ? answer.length : answer.total;
  return { data: items, total, success: true };
}

export function SettlementModeTag({ mode }: { mode: string }) {
  const { t } = useTranslation('operator');
  return (
    <Tooltip title={t(`glossary:settlementModeHint.${mode}`, { defaultValue: '' })}>
      <Tag color={mode === 'direct' ? 'purple' : 'cyan'} bordered={false}>
        {t(`glossary:settlementMode.${mode}`, { defaultValue: mode })}
      </Tag>
    </Tooltip>
  );
}

/** ProTable value enums of the states, in the glossary's words. */
export function useFinanceEnums() {
  const { t } = useTranslation('operator');
  return {
    withdrawalState: Object.fromEntries(
      WITHDRAWAL_STATES.map((s) => [s, { text: t(`glossary:withdrawalState.${s}`) }]),
    ) as Record<string, { text: string }>,
    payoutState: Object.fromEntries(
      PAYOUT_STATES.map((s) => [s, { text: t(`glossary:payoutState.${s}`) }]),
    ) as Record<string, { text: string }>,
    payoutKind: {
      withdrawal: { text: t('glossary:withdrawal') },
      payout: { text: t('finance.kindPayout') },
    } as Record<string, { text: string }>,
  };
}

// ---- rule editors: one list of fields per rule set, typed as people write them ----

type FieldKind = 'money' | 'fee' | 'percent' | 'count' | 'days' | 'time';

export interface RuleField {
  name: string;
  kind: FieldKind;
  /** Platform defaults: must be filled (an override may always be left empty). */
  required?: boolean;
}

export const WITHDRAWAL_RULE_FIELDS: RuleField[] = [
  { name: 'minAmount', kind: 'money', required: true },
  { name: 'maxAmount', kind: 'money', required: true },
  { name: 'fixedFee', kind: 'fee', required: true },
  { name: 'feeRatePpm', kind: 'percent', required: true },
  { name: 'windowStart', kind: 'time', required: true },
  { name: 'windowEnd', kind: 'time', required: true },
  { name: 'dailyCount', kind: 'count', required: true },
  { name: 'dailyAmount', kind: 'fee', required: true },
  { name: 'reviewThreshold', kind: 'fee', required: true },
];

export const PAYOUT_RULE_FIELDS: RuleField[] = [
  { name: 'feeRatePpm', kind: 'percent', required: true },
  { name: 'fixedFee', kind: 'fee', required: true },
  { name: 'minAmount', kind: 'money', required: true },
  { name: 'maxAmount', kind: 'money', required: true },
  { name: 'dailyCount', kind: 'count', required: true },
  { name: 'dailyAmount', kind: 'fee', required: true },
];

const TIME = /^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/;

/** A rule value as the server holds it (fen, ppm, count, 'HH:mm') → the text an input shows. */
export function ruleText(kind: FieldKind, value: unknown): string {
  if (value === null || value === undefined) return '';
  if (kind === 'money' || kind === 'fee') return yuanPlain(Number(value));
  if (kind === 'percent') return percentPlain(Number(value));
  return String(value);
}

/** How a value reads on a page (a default shown as an override's placeholder). */
export function ruleDisplay(kind: FieldKind, value: unknown, none: string): string {
  if (value === null || value === undefined || value === '') return none;
  if (kind === 'money' || kind === 'fee') return yuan(Number(value));
  if (kind === 'percent') return percentFromPpm(Number(value));
  return String(value);
}

/** The text typed → the value the server takes; empty → null. */
export function ruleValue(kind: FieldKind, text: unknown): number | string | null {
  if (text === undefined || text === null || String(text).trim() === '') return null;
  const s = String(text).trim();
  if (kind === 'money' || kind === 'fee') {
    const m = /^(\d+)(?:\.(\d{1,2}))?$/.exec(s);
    return m ? Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0')) : null;
  }
  if (kind === 'percent') return ppmFromPercent(s);
  if (kind === 'time') return s;
  return Number(s);
}

export function rulesToForm(fields: RuleField[], values: Record<string, unknown> | null | undefined) {
  return Object.fromEntries(fields.map((f) => [f.name, ruleText(f.kind, values?.[f.name])]));
}

export function rulesFromForm(fields: RuleField[], form: Record<string, unknown>) {
  return Object.fromEntries(fields.map((f) => [f.name, ruleValue(f.kind, form[f.name])]));
}

/**
 * The fields of one rule set, two to a row (one on a phone). `defaults` makes it an override
 * editor: every field may stay empty, and its placeholder shows the platform's value.
 */
export function RuleFields({
  fields,
  section,
  defaults,
  disabled,
}: {
  fields: RuleField[];
  /** The locale section with a label (and optional `<name>Hint`) per field. */
  section: 'withdrawalRules' | 'payoutRules' | 'terms';
  defaults?: Record<string, unknown> | null;
  disabled?: boolean;
}) {
  const { t, i18n } = useTranslation(['operator', 'common']);
  const override = defaults !== undefined;
  return (
    <Row gutter={16}>
      {fields.map((f) => {
        const label = t(`finance.${section}.${f.name}`);
        const hintKey = `finance.${section}.${f.name}Hint`;
        const hint = i18n.exists(`operator:${hintKey}`) ? t(hintKey) : undefined;
        const required = !override && !!f.required;
        const rules: Rule[] = [];
        if (f.kind === 'money' || f.kind === 'fee') {
          rules.push({
            required,
            validator: async (_r, v: unknown) => {
              const problem = amountProblem(v, { required, allowZero: f.kind === 'fee' });
              if (problem) throw new Error(problem);
            },
          });
        } else if (f.kind === 'percent') {
          rules.push(percentRule(required));
        } else if (f.kind === 'count' || f.kind === 'days') {
          rules.push(integerRule(label, { min: 0, max: f.kind === 'days' ? 365 : 1_000_000, required }));
        } else {
          rules.push({
            required,
            validator: async (_r, v: unknown) => {
              const s = v === undefined || v === null ? '' : String(v).trim();
              if (!s) {
                if (required) throw new Error(t('finance.timeRequired'));
                return;
              }
              if (!TIME.test(s)) throw new Error(t('finance.timeFormat'));
            },
          });
        }
        const placeholder = override
          ? t('finance.defaultIs', { value: ruleDisplay(f.kind, defaults?.[f.name], t('finance.noLimit')) })
          : f.kind === 'time'
            ? 'HH:mm'
            : f.kind === 'money' || f.kind === 'fee'
              ? f.required
                ? '0.00'
                : t('finance.noLimit')
              : f.kind === 'count' && !f.required
                ? t('finance.noLimit')
                : undefined;
        return (
          <Col xs={24} sm={12} key={f.name}>
            <ProFormText
              name={f.name}
              label={label}
              tooltip={hint}
              placeholder={placeholder}
              disabled={disabled}
              fieldProps={{
                prefix: f.kind === 'money' || f.kind === 'fee' ? '¥' : undefined,
                suffix: f.kind === 'percent' ? '%' : undefined,
                inputMode: f.kind === 'time' ? 'text' : 'decimal',
                allowClear: override,
              }}
              rules={rules}
            />
          </Col>
        );
      })}
    </Row>
  );
}

/** Settlement terms as typed: percentages and day counts as text. */
export interface TermsForm {
  mode: SettlementMode;
  cycle: SettlementCycle;
  d0Percent: string;
  tnDays: string;
  reservePercent: string;
  reserveDays: string;
}

export function termsToForm(terms: SettlementTerms): TermsForm {
  return {
    mode: terms.mode,
    cycle: terms.cycle,
    d0Percent: percentPlain(terms.d0Ppm),
    tnDays: String(terms.tnDays),
    reservePercent: percentPlain(terms.reservePpm),
    reserveDays: String(terms.reserveDays),
  };
}

export function termsFromForm(form: TermsForm): SettlementTerms {
  return {
    mode: form.mode,
    cycle: form.cycle,
    d0Ppm: ppmFromPercent(form.d0Percent || '100') ?? 1_000_000,
    tnDays: Number(form.tnDays || 1),
    reservePpm: ppmFromPercent(form.reservePercent || '0') ?? 0,
    reserveDays: Number(form.reserveDays || 0),
  };
}

/** The settlement terms' fields: mode (with what it means), cycle, D0 share, TN days, reserve. */
export function TermsFields({ disabled }: { disabled?: boolean }) {
  const { t } = useTranslation(['operator', 'common']);
  return (
    <>
      <ProFormRadio.Group
        name="mode"
        label={t('finance.terms.mode')}
        disabled={disabled}
        radioType="button"
        options={(['platform', 'direct'] as const).map((m) => ({
          value: m,
          label: t(`glossary:settlementMode.${m}`),
        }))}
        extra={<ModeHint />}
        rules={[{ required: true }]}
      />
      <Row gutter={16}>
        <Col xs={24} sm={12}>
          <ProFormSelect
            name="cycle"
            label={t('finance.terms.cycle')}
            disabled={disabled}
            allowClear={false}
            options={SETTLEMENT_CYCLES.map((c) => ({ value: c, label: t(`glossary:settlementCycle.${c}`) }))}
            rules={[{ required: true }]}
          />
        </Col>
        <Col xs={24} sm={12}>
          <ProFormText
            name="d0Percent"
            label={t('finance.terms.d0Ppm')}
            tooltip={t('finance.terms.d0PpmHint')}
            disabled={disabled}
            fieldProps={{ suffix: '%', inputMode: 'decimal' }}
            rules={[percentRule(true)]}
          />
        </Col>
        <Col xs={24} sm={12}>
          <ProFormText
            name="tnDays"
            label={t('finance.terms.tnDays')}
            tooltip={t('finance.terms.tnDaysHint')}
            disabled={disabled}
            fieldProps={{ inputMode: 'numeric' }}
            rules={[integerRule(t('finance.terms.tnDays'), { min: 1, max: 30 })]}
          />
        </Col>
        <Col xs={24} sm={12}>
          <ProFormText
            name="reservePercent"
            label={t('finance.terms.reservePpm')}
            tooltip={t('finance.terms.reservePpmHint')}
            disabled={disabled}
            fieldProps={{ suffix: '%', inputMode: 'decimal' }}
            rules={[percentRule(true)]}
          />
        </Col>
        <Col xs={24} sm={12}>
          <ProFormText
            name="reserveDays"
            label={t('finance.terms.reserveDays')}
            tooltip={t('finance.terms.reserveDaysHint')}
            disabled={disabled}
            fieldProps={{ inputMode: 'numeric' }}
            rules={[integerRule(t('finance.terms.reserveDays'), { min: 0, max: 365 })]}
          />
        </Col>
      </Row>
    </>
  );
}

function ModeHint() {
  const { t } = useTranslation('operator');
  return (
    <span>
      {t('glossary:settlementMode.platform')}: {t('glossary:settlementModeHint.platform')}
      <br />
      {t('glossary:settlementMode.direct')}: {t('glossary:settlementModeHint.direct')}
    </span>
  );
}
