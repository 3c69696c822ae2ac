import { MinusCircleOutlined, PlusOutlined } from '@ant-design/icons';
import { type ActionType, ModalForm, type ProColumns, ProTable } from '@ant-design/pro-components';
import { App, Button, Empty, Flex, Form, Grid, Input, Radio, Select, Space, Tag, Typography } from 'antd';
import { type ReactNode, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { errorText } from '../shell/errors.ts';
import {
  dateTime,
  parseYuan,
  percentFromPpm,
  percentPlain,
  ppmFromPercent,
  yuan,
  yuanPlain,
} from '../shell/format.ts';
import { amountRule, percentRule } from '../shell/forms.ts';
import { RowAction, remembered, widthOf } from '../shell/listTable.tsx';
import { Page } from '../shell/Page.tsx';
import { TwoLineCell } from '../shell/TwoLineCell.tsx';
import { useApi } from '../shell/useApi.ts';
import { useRequestError } from '../shell/useRequestError.ts';
import {
  marketplaceApi,
  type SplitBasis,
  type SplitPartyInput,
  type SplitPartyView,
  type SplitRuleInput,
  type SplitRuleView,
} from './marketplaceApi.ts';
import { FieldSelect } from './marketplaceTags.tsx';
import { asList, type List, type MerchantAppInfo } from './types.ts';
import { useSubtitle } from './useSubtitle.ts';

/**
 * 分账规则 (the seed's 分账抽佣规则管理): who receives an order's amount (its payee, or a member), and
 * the parties that take a share of it: members, and the merchant's own commission, each by rate or
 * fixed amount with an optional floor and cap. A member party signs an agreement in its portal before
 * the rule takes orders; its state shows on the rule, the link can be sent again, and the signed
 * document downloads. Rules are enabled and disabled, never deleted.
 */
export function SplitRules() {
  const { t } = useTranslation();
  const { modal, message } = App.useApp();
  const screens = Grid.useBreakpoint();
  const compact = !screens.md;
  const actionRef = useRef<ActionType>(null);
  const onRequestError = useRequestError();
  const [editing, setEditing] = useState<SplitRuleView | 'new' | null>(null);
  const apps = useApi<List<MerchantAppInfo> | MerchantAppInfo[]>('/api/merchant/apps');
  const appOptions = asList(apps.data).items.map((a) => ({
    value: a.appId,
    label: `${a.name} (${a.appId})`,
  }));
  const reload = () => actionRef.current?.reload();

  const setEnabled = (rule: SplitRuleView, enabled: boolean) => {
    modal.confirm({
      title: t(
        enabled ? 'merchant:marketplace.splitRules.enable' : 'merchant:marketplace.splitRules.disable',
      ),
      content: t(
        enabled
          ? 'merchant:marketplace.splitRules.enableConfirm'
          : 'merchant:marketplace.splitRules.disableConfirm',
        { name: rule.name },
      ),
      okText: t(
        enabled ? 'merchant:marketplace.splitRules.enable' : 'merchant:marketplace.splitRules.disable',
      ),
      okButtonProps: { danger: !enabled },
      cancelText: t('actions.cancel'),
      onOk: async () => {
        try {
          await marketplaceApi.setSplitRuleEnabled(rule.ruleNo, enabled);
          message.success(
            t(
              enabled
                ? 'merchant:marketplace.splitRules.enabledDone'
                : 'merchant:marketplace.splitRules.disabledDone',
            ),
          );
          reload();
        } catch (e) {
          message.error(errorText(e));
        }
      },
    });
  };
  const resend = async (rule: SplitRuleView, party: SplitPartyView) => {
    try {
      await marketplaceApi.resendAgreement(rule.ruleNo, party.id);
      message.success(t('merchant:marketplace.splitRules.resent'));
      reload();
    } catch (e) {
      message.error(errorText(e));
    }
  };
  const actions = (row: SplitRuleView) => (
    <Space size={12}>
      <RowAction onClick={() => setEditing(row)}>{t('merchant:marketplace.splitRules.edit')}</RowAction>
      <RowAction danger={row.state === 'enabled'} onClick={() => setEnabled(row, row.state !== 'enabled')}>
        {t(
          row.state === 'enabled'
            ? 'merchant:marketplace.splitRules.disable'
            : 'merchant:marketplace.splitRules.enable',
        )}
      </RowAction>
    </Space>
  );

  const columns: ProColumns<SplitRuleView>[] = [
    {
      title: t('merchant:marketplace.splitRules.title'),
      key: 'compact',
      hideInTable: !compact,
      render: (_, row) => (
        <Space direction="vertical" size={4} style={{ width: '100%' }}>
          <Flex justify="space-between" align="center" gap={8}>
            <Typography.Text strong>{row.name}</Typography.Text>
            <RuleStateTag state={row.state} />
          </Flex>
          <Typography.Text type="secondary" className="qy-mono" style={{ fontSize: 12 }}>
            {row.ruleNo}
          </Typography.Text>
          <span>
            <Typography.Text type="secondary">
              {t('merchant:marketplace.splitRules.receiver')}:{' '}
            </Typography.Text>
            <Receiver rule={row} />
          </span>
          <Parties rule={row} onResend={resend} />
          {actions(row)}
        </Space>
      ),
    },
    {
      title: t('merchant:marketplace.splitRules.name'),
      dataIndex: 'name',
      hideInTable: compact,
      width: 190,
      render: (_, row) => (
        <TwoLineCell
          secondary={row.ruleNo}
          secondaryTip={t('merchant:marketplace.splitRules.ruleNo')}
          time={row.createdAt}
          timeTip={t('merchant:marketplace.splitRules.createdAt')}
        >
          <Typography.Text strong>{row.name}</Typography.Text>
        </TwoLineCell>
      ),
    },
    {
      title: t('merchant:marketplace.splitRules.receiver'),
      key: 'receiver',
      hideInTable: compact,
      width: 170,
      render: (_, row) => (
        <Space direction="vertical" size={0}>
          <Receiver rule={row} />
          <Typography.Text type="secondary" className="qy-mono" style={{ fontSize: 12 }}>
            {row.appId}
          </Typography.Text>
        </Space>
      ),
    },
    {
      title: t('merchant:marketplace.splitRules.parties'),
      key: 'parties',
      hideInTable: compact,
      width: 380,
      render: (_, row) => <Parties rule={row} onResend={resend} />,
    },
    {
      title: t('merchant:marketplace.splitRules.state'),
      dataIndex: 'state',
      hideInTable: compact,
      width: 90,
      render: (_, row) => <RuleStateTag state={row.state} />,
    },
    {
      title: t('merchant:marketplace.splitRules.actions'),
      key: 'actions',
      valueType: 'option',
      hideInTable: compact,
      width: 90,
      render: (_, row) => actions(row),
    },
  ];

  const subTitle = useSubtitle(t('merchant:marketplace.splitRules.subtitle'));
  return (
    <Page
      title={t('merchant:marketplace.splitRules.title')}
      subTitle={subTitle}
      extra={
        <Button
          type="primary"
          icon={<PlusOutlined />}
          onClick={() => setEditing('new')}
          data-testid="split-rule-create"
        >
          {t('merchant:marketplace.splitRules.create')}
        </Button>
      }
    >
      <div data-testid="split-rule-table">
        <ProTable<SplitRuleView>
          rowKey="ruleNo"
          actionRef={actionRef}
          columns={columns}
          request={async () => {
            try {
              const answer = await marketplaceApi.splitRules();
              return { data: answer.items, success: true };
            } catch (e) {
              onRequestError(e as Error);
              return { data: [], success: false };
            }
          }}
          search={false}
          pagination={false}
          locale={{
            emptyText: (
              <Empty
                image={Empty.PRESENTED_IMAGE_SIMPLE}
                description={t('merchant:marketplace.splitRules.empty')}
              />
            ),
          }}
          options={{ density: false, reload: true, setting: true, fullScreen: false }}
          scroll={compact ? undefined : { x: widthOf(columns) }}
          columnsState={remembered('merchant.splitRules')}
          size="middle"
        />
      </div>
      {editing !== null && (
        // Mounted per opening, so each form starts from its own rule's values.
        <SplitRuleForm
          key={editing === 'new' ? 'new' : editing.ruleNo}
          rule={editing}
          appOptions={appOptions}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            reload();
          }}
        />
      )}
    </Page>
  );
}

function RuleStateTag({ state }: { state: SplitRuleView['state'] }) {
  const { t } = useTranslation();
  return (
    <Tag
      color={state === 'enabled' ? 'success' : 'default'}
      data-state={state}
      style={{ marginInlineEnd: 0 }}
    >
      {t(
        state === 'enabled'
          ? 'merchant:marketplace.splitRules.enabled'
          : 'merchant:marketplace.splitRules.disabled',
      )}
    </Tag>
  );
}

function Receiver({ rule }: { rule: SplitRuleView }) {
  const { t } = useTranslation();
  if (rule.receiver.kind === 'payee')
    return <span>{t('merchant:marketplace.splitRules.receiverPayee')}</span>;
  return (
    <span>
      {rule.receiver.memberName ?? t('merchant:marketplace.splitRules.receiverMember')}{' '}
      <Typography.Text type="secondary" className="qy-mono" style={{ fontSize: 12 }}>
        {rule.receiver.memberNo}
      </Typography.Text>
    </span>
  );
}

/** A party's share as words: "10%（最低 ¥1.00，最高 ¥50.00）" or "¥5.00". */
export function shareText(
  p: Pick<SplitPartyView, 'basis' | 'value' | 'floor' | 'cap'>,
  t: (key: string) => string,
): string {
  if (p.basis === 'fixed') return yuan(p.value);
  const limits = [
    p.floor !== null ? `${t('merchant:marketplace.splitRules.floor')} ${yuan(p.floor)}` : null,
    p.cap !== null ? `${t('merchant:marketplace.splitRules.cap')} ${yuan(p.cap)}` : null,
  ].filter(Boolean);
  return limits.length ? `${percentFromPpm(p.value)} (${limits.join(', ')})` : percentFromPpm(p.value);
}

function Parties({
  rule,
  onResend,
}: {
  rule: SplitRuleView;
  onResend: (rule: SplitRuleView, party: SplitPartyView) => void;
}) {
  const { t } = useTranslation();
  if (rule.parties.length === 0) {
    return (
      <Typography.Text type="secondary">{t('merchant:marketplace.splitRules.noParties')}</Typography.Text>
    );
  }
  return (
    <Space direction="vertical" size={4} style={{ width: '100%' }} data-cell="parties">
      {rule.parties.map((p) => (
        <Flex key={p.id} justify="space-between" align="center" gap={8} wrap>
          <span>
            {p.party.kind === 'merchant'
              ? t('merchant:marketplace.splitRules.partyMerchant')
              : (p.party.memberName ?? p.party.memberNo)}
            {p.party.kind === 'member' && (
              <Typography.Text
                type="secondary"
                className="qy-mono"
                style={{ fontSize: 12, marginInlineStart: 6 }}
              >
                {p.party.memberNo}
              </Typography.Text>
            )}
            <Typography.Text strong style={{ marginInlineStart: 8 }}>
              {shareText(p, t)}
            </Typography.Text>
          </span>
          <AgreementState rule={rule} party={p} onResend={onResend} />
        </Flex>
      ))}
    </Space>
  );
}

function AgreementState({
  rule,
  party,
  onResend,
}: {
  rule: SplitRuleView;
  party: SplitPartyView;
  onResend: (rule: SplitRuleView, party: SplitPartyView) => void;
}) {
  const { t } = useTranslation();
  if (party.agreementState === null) return null;
  const signed = party.agreementState === 'signed';
  return (
    <Space size={6} data-agreement={party.agreementState}>
      <Tag
        color={signed ? 'success' : 'warning'}
        style={{ marginInlineEnd: 0 }}
        title={
          signed && party.agreementSignedAt
            ? t('merchant:marketplace.splitRules.agreementSignedAt', {
                at: dateTime(party.agreementSignedAt),
              })
            : party.agreementSentAt
              ? t('merchant:marketplace.splitRules.agreementSentAt', { at: dateTime(party.agreementSentAt) })
              : undefined
        }
      >
        {t(`merchant:marketplace.splitRules.agreementState.${party.agreementState}`)}
      </Tag>
      {signed && (
        <Typography.Link
          href={marketplaceApi.splitAgreementDocumentPath(rule.ruleNo, party.id)}
          download
          data-testid="split-agreement-document"
        >
          {t('merchant:marketplace.splitRules.agreementDocument')}
        </Typography.Link>
      )}
      {!signed && (
        <RowAction onClick={() => onResend(rule, party)}>
          {t('merchant:marketplace.splitRules.resend')}
        </RowAction>
      )}
    </Space>
  );
}

interface PartyForm {
  kind: 'merchant' | 'member';
  memberNo?: string;
  basis: SplitBasis;
  /** Percent for a rate, yuan for a fixed amount, as typed. */
  value: string;
  floor?: string;
  cap?: string;
}

interface RuleForm {
  name: string;
  appId?: string;
  receiverKind: 'payee' | 'member';
  receiverMemberNo?: string;
  parties: PartyForm[];
}

function toForm(rule: SplitRuleView): RuleForm {
  return {
    name: rule.name,
    appId: rule.appId,
    receiverKind: rule.receiver.kind,
    receiverMemberNo: rule.receiver.memberNo,
    parties: rule.parties.map((p) => ({
      kind: p.party.kind,
      memberNo: p.party.memberNo,
      basis: p.basis,
      value: p.basis === 'ppm' ? percentPlain(p.value) : yuanPlain(p.value),
      floor: p.floor === null ? undefined : yuanPlain(p.floor),
      cap: p.cap === null ? undefined : yuanPlain(p.cap),
    })),
  };
}

const typed = (text: string | undefined) => (text?.trim() ? parseYuan(text) : null);

function toParty(p: PartyForm): SplitPartyInput {
  const party =
    p.kind === 'member'
      ? { kind: 'member' as const, memberNo: (p.memberNo ?? '').trim() }
      : { kind: 'merchant' as const };
  if (p.basis === 'fixed') return { party, basis: 'fixed', value: parseYuan(p.value) ?? 0 };
  const floor = typed(p.floor);
  const cap = typed(p.cap);
  return {
    party,
    basis: 'ppm',
    value: ppmFromPercent(p.value) ?? 0,
    ...(floor !== null ? { floor } : {}),
    ...(cap !== null ? { cap } : {}),
  };
}

/** 新增 / 编辑分账规则: the receiver is chosen once; the parties can change while editing. */
function SplitRuleForm({
  rule,
  appOptions,
  onClose,
  onSaved,
}: {
  rule: SplitRuleView | 'new';
  appOptions: { value: string; label: string }[];
  onClose: () => void;
  onSaved: () => void;
}) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<RuleForm>();
  const existing = rule !== 'new' ? rule : null;
  const receiverKind = Form.useWatch('receiverKind', form);
  const parties = Form.useWatch('parties', form) ?? [];
  const screens = Grid.useBreakpoint();

  const initial: RuleForm = existing
    ? toForm(existing)
    : {
        name: '',
        appId: appOptions.length === 1 ? appOptions[0]!.value : undefined,
        receiverKind: 'payee',
        parties: [],
      };

  return (
    <ModalForm<RuleForm>
      open
      title={t(
        existing
          ? 'merchant:marketplace.splitRules.editTitle'
          : 'merchant:marketplace.splitRules.createTitle',
      )}
      width={screens.md ? 800 : '100%'}
      form={form}
      modalProps={{ destroyOnHidden: true, onCancel: onClose }}
      initialValues={initial}
      onFinish={async (v) => {
        const body = { name: v.name.trim(), appId: v.appId ?? '', parties: (v.parties ?? []).map(toParty) };
        try {
          if (existing) {
            await marketplaceApi.updateSplitRule(existing.ruleNo, body);
            message.success(t('merchant:marketplace.splitRules.saved'));
          } else {
            const receiver: SplitRuleInput['receiver'] =
              v.receiverKind === 'member'
                ? { kind: 'member', memberNo: (v.receiverMemberNo ?? '').trim() }
                : { kind: 'payee' };
            const created = await marketplaceApi.createSplitRule({ ...body, receiver });
            message.success(t('merchant:marketplace.splitRules.createdDone', { ruleNo: created.ruleNo }));
          }
          onSaved();
          return true;
        } catch (e) {
          message.error(errorText(e));
          return false;
        }
      }}
    >
      <Form.Item
        name="name"
        label={t('merchant:marketplace.splitRules.name')}
        rules={[
          { required: true, whitespace: true, message: t('merchant:marketplace.splitRules.nameRequired') },
        ]}
      >
        <Input maxLength={64} autoComplete="off" />
      </Form.Item>
      <Form.Item
        name="appId"
        label={t('merchant:marketplace.splitRules.app')}
        rules={[{ required: true, message: t('merchant:marketplace.splitRules.appRequired') }]}
      >
        <FieldSelect options={appOptions} />
      </Form.Item>
      <Form.Item
        name="receiverKind"
        label={t('merchant:marketplace.splitRules.receiver')}
        extra={existing ? t('merchant:marketplace.splitRules.receiverFixed') : undefined}
      >
        <Radio.Group disabled={!!existing}>
          <Radio value="payee">{t('merchant:marketplace.splitRules.receiverPayee')}</Radio>
          <Radio value="member">{t('merchant:marketplace.splitRules.receiverMember')}</Radio>
        </Radio.Group>
      </Form.Item>
      {receiverKind === 'member' && (
        <Form.Item
          name="receiverMemberNo"
          label={t('merchant:marketplace.splitRules.receiverMemberNo')}
          rules={[
            {
              required: true,
              whitespace: true,
              message: t('merchant:marketplace.splitRules.memberNoRequired'),
            },
          ]}
        >
          <Input className="qy-mono" autoComplete="off" readOnly={!!existing} />
        </Form.Item>
      )}
      <Typography.Title level={5} style={{ marginTop: 8 }}>
        {t('merchant:marketplace.splitRules.parties')}
      </Typography.Title>
      <Typography.Paragraph type="secondary" style={{ fontSize: 12 }}>
        {t('merchant:marketplace.splitRules.floorCapHint')}
      </Typography.Paragraph>
      <Form.List name="parties">
        {(fields, { add, remove }) => (
          <Space direction="vertical" size={8} style={{ width: '100%' }} data-testid="split-parties">
            {fields.map((field) => {
              const row = parties[field.name];
              return (
                <PartyRow key={field.key} remove={() => remove(field.name)}>
                  <Form.Item name={[field.name, 'kind']} label={t('merchant:marketplace.splitRules.party')}>
                    <Select
                      style={{ width: 140 }}
                      options={[
                        { value: 'member', label: t('merchant:marketplace.splitRules.partyMember') },
                        { value: 'merchant', label: t('merchant:marketplace.splitRules.partyMerchant') },
                      ]}
                    />
                  </Form.Item>
                  {row?.kind === 'member' && (
                    <Form.Item
                      name={[field.name, 'memberNo']}
                      label={t('merchant:marketplace.splitRules.memberNo')}
                      rules={[
                        {
                          required: true,
                          whitespace: true,
                          message: t('merchant:marketplace.splitRules.memberNoRequired'),
                        },
                      ]}
                    >
                      <Input className="qy-mono" style={{ width: 120 }} autoComplete="off" />
                    </Form.Item>
                  )}
                  <Form.Item name={[field.name, 'basis']} label={t('merchant:marketplace.splitRules.basis')}>
                    <Select
                      style={{ width: 100 }}
                      options={[
                        { value: 'ppm', label: t('merchant:marketplace.splitRules.basisPpm') },
                        { value: 'fixed', label: t('merchant:marketplace.splitRules.basisFixed') },
                      ]}
                    />
                  </Form.Item>
                  {row?.basis === 'fixed' ? (
                    <Form.Item
                      name={[field.name, 'value']}
                      label={t('merchant:marketplace.splitRules.fixedAmount')}
                      rules={[amountRule(true)]}
                    >
                      <Input prefix="¥" inputMode="decimal" style={{ width: 110 }} autoComplete="off" />
                    </Form.Item>
                  ) : (
                    <>
                      <Form.Item
                        name={[field.name, 'value']}
                        label={t('merchant:marketplace.splitRules.rate')}
                        rules={[percentRule(true)]}
                      >
                        <Input suffix="%" inputMode="decimal" style={{ width: 90 }} autoComplete="off" />
                      </Form.Item>
                      <Form.Item
                        name={[field.name, 'floor']}
                        label={t('merchant:marketplace.splitRules.floor')}
                        rules={[amountRule(false)]}
                      >
                        <Input prefix="¥" inputMode="decimal" style={{ width: 90 }} autoComplete="off" />
                      </Form.Item>
                      <Form.Item
                        name={[field.name, 'cap']}
                        label={t('merchant:marketplace.splitRules.cap')}
                        dependencies={[['parties', field.name, 'floor']]}
                        rules={[
                          amountRule(false),
                          ({ getFieldValue }) => ({
                            validator: async (_rule, value: string | undefined) => {
                              const floor = typed(getFieldValue(['parties', field.name, 'floor']));
                              const cap = typed(value);
                              if (floor !== null && cap !== null && cap < floor) {
                                throw new Error(t('merchant:marketplace.splitRules.capBelowFloor'));
                              }
                            },
                          }),
                        ]}
                      >
                        <Input prefix="¥" inputMode="decimal" style={{ width: 90 }} autoComplete="off" />
                      </Form.Item>
                    </>
                  )}
                </PartyRow>
              );
            })}
            <Button
              type="dashed"
              block
              icon={<PlusOutlined />}
              onClick={() => add({ kind: 'member', basis: 'ppm', value: '' })}
              data-testid="split-party-add"
            >
              {t('merchant:marketplace.splitRules.addParty')}
            </Button>
          </Space>
        )}
      </Form.List>
    </ModalForm>
  );
}

function PartyRow({ children, remove }: { children: ReactNode; remove: () => void }) {
  const { t } = useTranslation();
  return (
    <Flex
      gap={8}
      wrap
      align="flex-start"
      data-testid="split-party"
      style={{ padding: '8px 8px 0', border: '1px solid #f0f0f0', borderRadius: 6 }}
    >
      {children}
      <Button
        type="text"
        danger
        icon={<MinusCircleOutlined />}
        aria-label={t('merchant:marketplace.splitRules.removeParty')}
        title={t('merchant:marketplace.splitRules.removeParty')}
        onClick={remove}
        style={{ marginTop: 30 }}
      />
    </Flex>
  );
}
