import { PlusOutlined } from '@ant-design/icons';
import {
  ModalForm,
  type ProColumns,
  ProFormDependency,
  ProFormSelect,
  ProFormSwitch,
  ProFormText,
  ProTable,
} from '@ant-design/pro-components';
import { App, Button, Col, Divider, Form, Row, Tag, Typography } from 'antd';
import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api.ts';
import { errorText } from './errors.ts';
import { dateTime, percentFromPpm, percentPlain, ppmFromPercent, yuan, yuanPlain } from './format.ts';
import { feePartOf, feeRule, percentRule } from './forms.ts';
import type { ShownSecret } from './SecretDialog.tsx';

// What the operator console's agent screens and the agent portal share: the words live in each
// area's namespace under `agentWords` (web/src/locales/agentWords.ts), so every part takes the area.

export type AgentArea = 'operator' | 'agent';
export type AgentState = 'enabled' | 'disabled';

export interface AgentView {
  agentNo: string;
  name: string;
  contact: string;
  phone: string;
  email: string;
  parentNo: string | null;
  depth: number;
  state: AgentState;
  createdAt: string;
  updatedAt: string;
}

/** An agent's or a merchant's terms for one product: ppm and fen. */
export interface RateTerms {
  productCode: string;
  productName?: string;
  currency?: string;
  ratePpm: number;
  fixedFee: number;
  minimumFee: number;
  updatedAt?: string;
  /** A merchant's rate only: whether the product is open to it. */
  enabled?: boolean;
}

/** A product a rate can be given for. */
export interface RateProduct {
  code: string;
  name: string;
}

/** The words of the agent screens, in the area's namespace. */
export function useAgentWords(area: AgentArea) {
  const { t } = useTranslation([area, 'common']);
  return (key: string, options?: Record<string, unknown>) => t(`${area}:agentWords.${key}`, options ?? {});
}

export function AgentStateTag({ area, state }: { area: AgentArea; state: AgentState }) {
  const w = useAgentWords(area);
  return (
    <Tag color={state === 'enabled' ? 'green' : 'default'} bordered={false}>
      {w(`stateWord.${state}`)}
    </Tag>
  );
}

/** "0.6%", "0.6% + ¥0.05/笔", "0.6%，最低 ¥0.10". */
export function termsText(
  w: ReturnType<typeof useAgentWords>,
  terms: Pick<RateTerms, 'ratePpm' | 'fixedFee' | 'minimumFee' | 'currency'>,
): string {
  const currency = terms.currency ?? 'CNY';
  let text = percentFromPpm(terms.ratePpm);
  if (terms.fixedFee) text += ` + ${w('rates.perOrder', { fixed: yuan(terms.fixedFee, currency) })}`;
  if (terms.minimumFee) text += `, ${w('rates.minimumOf', { minimum: yuan(terms.minimumFee, currency) })}`;
  return text;
}

/** A row of an agent tree: the agent, and its sub-agents under it (none: a leaf, no expand icon). */
export type AgentNode<T extends AgentView = AgentView> = T & { children?: AgentNode<T>[] };

/**
 * The agents as a tree under `rootParentNo` (null: the top level). An agent whose parent is not in
 * the list (a search result) stands at the top, so nothing found is hidden.
 */
export function agentTree<T extends AgentView>(items: T[], rootParentNo: string | null): AgentNode<T>[] {
  const known = new Set(items.map((a) => a.agentNo));
  const byParent = new Map<string | null, T[]>();
  for (const a of items) {
    const parent = a.parentNo !== null && known.has(a.parentNo) ? a.parentNo : rootParentNo;
    byParent.set(parent, [...(byParent.get(parent) ?? []), a]);
  }
  const build = (parent: string | null): AgentNode<T>[] =>
    (byParent.get(parent) ?? []).map((a) => {
      const children = build(a.agentNo);
      return children.length > 0 ? { ...a, children } : { ...a };
    });
  return build(rootParentNo);
}

/** A first password for a new login: 16 characters without look-alikes, letters and digits both. */
export function firstPassword(length = 16): string {
  const letters = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz';
  const digits = '23456789';
  const all = letters + digits;
  const bytes = crypto.getRandomValues(new Uint32Array(length));
  const chars = Array.from(bytes, (b) => all[b % all.length]!);
  chars[bytes[0]! % (length - 1)] = letters[bytes[1]! % letters.length]!;
  chars[length - 1] = digits[bytes[2]! % digits.length]!;
  return chars.join('');
}

interface AgentFormValues {
  name: string;
  contact?: string;
  phone?: string;
  email?: string;
  parentNo?: string;
  managerUsername?: string;
  managerEmail?: string;
}

function AgentBasicFields({ area }: { area: AgentArea }) {
  const w = useAgentWords(area);
  return (
    <>
      <ProFormText
        name="name"
        label={w('name')}
        placeholder={w('namePlaceholder')}
        rules={[{ required: true, whitespace: true, message: w('nameRequired') }, { max: 128 }]}
      />
      <Row gutter={12}>
        <Col xs={24} sm={12}>
          <ProFormText name="contact" label={w('contact')} rules={[{ max: 128 }]} />
        </Col>
        <Col xs={24} sm={12}>
          <ProFormText name="phone" label={w('phone')} rules={[{ max: 32 }]} />
        </Col>
      </Row>
      <ProFormText name="email" label={w('email')} rules={[{ type: 'email', message: w('emailRule') }]} />
    </>
  );
}

/**
 * 新建代理商: a top-level agent or a sub-agent under one of `parents`, with an optional first login
 * whose password is generated here and shown once (the API takes the password it is given).
 */
export function CreateAgentForm(props: {
  area: AgentArea;
  /** Where to post: /api/admin/agents or /api/agent/agents. */
  path: string;
  title: string;
  trigger: ReactElement;
  /** The agents it may go under; `allowTop` adds "none" (a top-level agent). */
  parents: { value: string; label: string }[];
  defaultParent?: string;
  allowTop?: boolean;
  onDone: (agent: AgentView) => void;
  /** Shows the first login's password once (the page's useSecretDialog, which outlives this form). */
  showSecret: (shown: ShownSecret) => void;
}) {
  const w = useAgentWords(props.area);
  const { message } = App.useApp();
  return (
    <ModalForm<AgentFormValues>
      title={props.title}
      width={560}
      trigger={props.trigger}
      modalProps={{ destroyOnHidden: true }}
      initialValues={{ parentNo: props.defaultParent }}
      onFinish={async (v) => {
        const username = v.managerUsername?.trim();
        const password = firstPassword();
        try {
          const agent = await api.post<AgentView>(props.path, {
            name: v.name.trim(),
            contact: v.contact?.trim() || undefined,
            phone: v.phone?.trim() || undefined,
            email: v.email?.trim() || undefined,
            parentNo: v.parentNo || (props.allowTop ? null : undefined),
            manager: username
              ? { username, password, email: v.managerEmail?.trim() || undefined }
              : undefined,
          });
          message.success(w('created', { agentNo: agent.agentNo }));
          if (username) {
            props.showSecret({
              title: w('managerCreatedTitle'),
              warning: w('managerCreatedWarning'),
              rows: [
                { label: w('agentNo'), value: agent.agentNo },
                { label: w('loginUrl'), value: `${window.location.origin}/login?area=agent` },
                { label: w('managerUsername'), value: username },
                { label: w('initialPassword'), value: password, secret: true, testId: 'agent-password' },
              ],
            });
          }
          props.onDone(agent);
          return true;
        } catch (e) {
          message.error(errorText(e));
          return false;
        }
      }}
    >
      <AgentBasicFields area={props.area} />
      {(props.parents.length > 0 || props.allowTop) && (
        <ProFormSelect
          name="parentNo"
          label={w('parent')}
          placeholder={props.allowTop ? w('topLevel') : undefined}
          options={props.parents}
          allowClear={props.allowTop}
          showSearch
          rules={props.allowTop ? [] : [{ required: true }]}
        />
      )}
      <Divider orientation="left" plain style={{ marginTop: 0 }}>
        {w('managerSection')}
      </Divider>
      <ProFormText
        name="managerUsername"
        label={w('managerUsername')}
        placeholder={w('managerUsernamePlaceholder')}
        rules={[{ pattern: /^[A-Za-z0-9_.@-]{3,64}$/, message: w('usernameRule') }]}
      />
      <ProFormDependency name={['managerUsername']}>
        {({ managerUsername }) =>
          managerUsername?.trim() ? (
            <>
              <ProFormText
                name="managerEmail"
                label={w('managerEmail')}
                extra={w('managerEmailHint')}
                rules={[{ type: 'email', message: w('emailRule') }]}
              />
              <Typography.Paragraph type="secondary">{w('managerPasswordNote')}</Typography.Paragraph>
            </>
          ) : null
        }
      </ProFormDependency>
    </ModalForm>
  );
}

/** 编辑代理商: name and contact details. */
export function EditAgentForm(props: {
  area: AgentArea;
  path: string;
  agent: AgentView;
  trigger: ReactElement;
  onDone: () => void;
}) {
  const w = useAgentWords(props.area);
  const { t } = useTranslation('common');
  const { message } = App.useApp();
  const a = props.agent;
  return (
    <ModalForm<AgentFormValues>
      title={w('editTitle', { agentNo: a.agentNo })}
      width={560}
      trigger={props.trigger}
      modalProps={{ destroyOnHidden: true }}
      initialValues={{ name: a.name, contact: a.contact, phone: a.phone, email: a.email }}
      onFinish={async (v) => {
        try {
          await api.patch(props.path, {
            name: v.name.trim(),
            contact: v.contact?.trim() ?? '',
            phone: v.phone?.trim() ?? '',
            email: v.email?.trim() ?? '',
          });
          message.success(t('common.saved'));
          props.onDone();
          return true;
        } catch (e) {
          message.error(errorText(e));
          return false;
        }
      }}
    >
      <AgentBasicFields area={props.area} />
    </ModalForm>
  );
}

interface RateValues {
  productCode: string;
  rate: string;
  fixedFee?: string;
  minimumFee?: string;
  enabled?: boolean;
}

const feePlain = (minor: number | null | undefined) => (minor ? yuanPlain(minor) : '');

/**
 * 设置费率: one product's rate, fixed fee and minimum (yuan), with the level above's terms beside it
 * (`floors`: by product; undefined: not known here, e.g. a top-level agent, bounded by channel costs).
 */
export function RateForm(props: {
  area: AgentArea;
  who: string;
  products: RateProduct[];
  rate?: RateTerms;
  /** Products already given a rate, left out of the choice when adding one. */
  taken?: string[];
  floors?: Map<string, RateTerms>;
  /** A merchant's rate also opens or closes the product. */
  withEnabled?: boolean;
  trigger: ReactElement;
  onSave: (productCode: string, terms: Omit<RateTerms, 'productCode'>) => Promise<void>;
}) {
  const w = useAgentWords(props.area);
  const { message } = App.useApp();
  const [form] = Form.useForm<RateValues>();
  const taken = new Set(props.taken ?? []);
  const choices = props.rate ? props.products : props.products.filter((p) => !taken.has(p.code));
  const floorFor = (code: string | undefined) => {
    if (!props.floors || !code) return w('rates.floorCost');
    const floor = props.floors.get(code);
    return floor ? w('rates.floor', { terms: termsText(w, floor) }) : w('rates.noFloor');
  };
  return (
    <ModalForm<RateValues>
      form={form}
      title={w('rates.setTitle', { who: props.who })}
      width={480}
      trigger={props.trigger}
      modalProps={{ destroyOnHidden: true }}
      initialValues={
        props.rate
          ? {
              productCode: props.rate.productCode,
              rate: percentPlain(props.rate.ratePpm),
              fixedFee: feePlain(props.rate.fixedFee),
              minimumFee: feePlain(props.rate.minimumFee),
              enabled: props.rate.enabled ?? true,
            }
          : { enabled: true }
      }
      onFinish={async (v) => {
        try {
          await props.onSave(v.productCode, {
            ratePpm: ppmFromPercent(v.rate) ?? 0,
            fixedFee: feePartOf(v.fixedFee),
            minimumFee: feePartOf(v.minimumFee),
            enabled: v.enabled,
          });
          message.success(w('rates.saved'));
          return true;
        } catch (e) {
          message.error(errorText(e));
          return false;
        }
      }}
    >
      <ProFormSelect
        name="productCode"
        label={w('rates.product')}
        disabled={!!props.rate}
        options={choices.map((p) => ({ value: p.code, label: `${p.name}（${p.code}）` }))}
        rules={[{ required: true, message: w('rates.productRequired') }]}
        fieldProps={{
          onChange: (code: string) => {
            const floor = props.floors?.get(code);
            if (floor)
              form.setFieldsValue({
                rate: percentPlain(floor.ratePpm),
                fixedFee: feePlain(floor.fixedFee),
                minimumFee: feePlain(floor.minimumFee),
              });
          },
        }}
      />
      <ProFormDependency name={['productCode']}>
        {({ productCode }) => (
          <Typography.Paragraph type="secondary" data-testid="rate-floor">
            {floorFor(productCode)}
          </Typography.Paragraph>
        )}
      </ProFormDependency>
      <ProFormText
        name="rate"
        label={w('rates.ratePercent')}
        fieldProps={{ suffix: '%', inputMode: 'decimal' }}
        rules={[percentRule(true)]}
      />
      <Row gutter={12}>
        <Col xs={24} sm={12}>
          <ProFormText
            name="fixedFee"
            label={w('rates.fixed')}
            tooltip={w('rates.fixedHint')}
            placeholder="0.00"
            fieldProps={{ prefix: '¥', inputMode: 'decimal' }}
            rules={[feeRule()]}
          />
        </Col>
        <Col xs={24} sm={12}>
          <ProFormText
            name="minimumFee"
            label={w('rates.minimum')}
            tooltip={w('rates.minimumHint')}
            placeholder="0.00"
            fieldProps={{ prefix: '¥', inputMode: 'decimal' }}
            rules={[feeRule()]}
          />
        </Col>
      </Row>
      {props.withEnabled && <ProFormSwitch name="enabled" label={w('rates.enabled')} />}
    </ModalForm>
  );
}

/** A level's rates, one row a product, with 设置费率 per row and 添加 in the toolbar when `onSave`. */
export function RatesTable(props: {
  area: AgentArea;
  who: string;
  rates: RateTerms[] | undefined;
  loading?: boolean;
  products: RateProduct[];
  floors?: Map<string, RateTerms>;
  withEnabled?: boolean;
  title?: string;
  onSave?: (productCode: string, terms: Omit<RateTerms, 'productCode'>) => Promise<void>;
  onReload?: () => void;
  testId?: string;
}) {
  const w = useAgentWords(props.area);
  const { t } = useTranslation('common');
  const names = new Map(props.products.map((p) => [p.code, p.name]));
  const columns: ProColumns<RateTerms>[] = [
    {
      title: w('rates.product'),
      dataIndex: 'productCode',
      render: (_, r) => (
        <span>
          {r.productName || names.get(r.productCode) || r.productCode}{' '}
          <Typography.Text type="secondary" className="qy-mono" style={{ fontSize: 12 }}>
            {r.productCode}
          </Typography.Text>
        </span>
      ),
    },
    {
      title: w('rates.terms'),
      dataIndex: 'ratePpm',
      align: 'right',
      render: (_, r) => (
        <Typography.Text strong style={{ whiteSpace: 'nowrap' }}>
          {termsText(w, r)}
        </Typography.Text>
      ),
    },
    ...(props.withEnabled
      ? [
          {
            title: w('rates.enabled'),
            dataIndex: 'enabled',
            render: (_: unknown, r: RateTerms) => (
              <Tag bordered={false} color={r.enabled ? 'green' : 'default'}>
                {r.enabled ? t('common.enabled') : t('common.disabled')}
              </Tag>
            ),
          } satisfies ProColumns<RateTerms>,
        ]
      : []),
    ...(props.rates?.some((r) => r.updatedAt)
      ? [
          {
            title: w('rates.updatedAt'),
            dataIndex: 'updatedAt',
            render: (_: unknown, r: RateTerms) => dateTime(r.updatedAt),
          } satisfies ProColumns<RateTerms>,
        ]
      : []),
    ...(props.onSave
      ? [
          {
            title: t('actions.more'),
            key: 'actions',
            valueType: 'option',
            render: (_: unknown, r: RateTerms) => (
              <RateForm
                area={props.area}
                who={props.who}
                products={props.products}
                rate={r}
                floors={props.floors}
                withEnabled={props.withEnabled}
                onSave={props.onSave!}
                trigger={
                  <Button type="link" size="small" style={{ padding: 0 }}>
                    {w('rates.set')}
                  </Button>
                }
              />
            ),
          } satisfies ProColumns<RateTerms>,
        ]
      : []),
  ];
  return (
    <div data-testid={props.testId}>
      <ProTable<RateTerms>
        rowKey="productCode"
        headerTitle={props.title ?? w('rates.title')}
        tooltip={w('rates.chainRule')}
        columns={columns}
        dataSource={props.rates ?? []}
        loading={props.loading}
        search={false}
        pagination={false}
        cardBordered
        scroll={{ x: 'max-content' }}
        locale={{ emptyText: w('rates.none') }}
        options={props.onReload ? { reload: props.onReload, density: false, setting: false } : false}
        toolBarRender={() =>
          props.onSave
            ? [
                <RateForm
                  key="add"
                  area={props.area}
                  who={props.who}
                  products={props.products}
                  taken={(props.rates ?? []).map((r) => r.productCode)}
                  floors={props.floors}
                  withEnabled={props.withEnabled}
                  onSave={props.onSave}
                  trigger={
                    <Button type="primary" icon={<PlusOutlined />}>
                      {w('rates.add')}
                    </Button>
                  }
                />,
              ]
            : []
        }
      />
    </div>
  );
}

/** Rates by product, for the level above's terms beside a form. */
export function ratesByProduct(rates: RateTerms[] | undefined): Map<string, RateTerms> {
  return new Map((rates ?? []).map((r) => [r.productCode, r]));
}
