import { DeleteOutlined, PlusOutlined, StarOutlined } from '@ant-design/icons';
import {
  type ActionType,
  ModalForm,
  type ProColumns,
  ProFormRadio,
  ProFormText,
  ProTable,
} from '@ant-design/pro-components';
import { Alert, App, Button, Flex, Grid, Space, Tag, Typography } from 'antd';
import { type ReactNode, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api.ts';
import { ErrorAlert } from './ErrorAlert.tsx';
import { glossaryWord } from './financeFormat.ts';
import { RowAction, remembered, widthOf } from './listTable.tsx';
import { Page } from './Page.tsx';
import { TwoLineCell } from './TwoLineCell.tsx';
import { useTablePageLoader } from './tablePage.ts';
import { TotpField, useWithdrawalArea, WithdrawalAreaProvider } from './withdrawalArea.tsx';
import { type BankCard, pageParams, type WithdrawalArea } from './withdrawalTypes.ts';

const STATE_COLOR: Record<string, string> = {
  active: 'success',
  pending_review: 'processing',
  rejected: 'error',
};

/**
 * 银行卡 / 结算卡, shared by the merchant portal (managers) and the agent area: the settlement bank
 * cards, masked; bind one (the login's password, and the TOTP code when it has it on), choose the
 * default, remove one. A card may wait for the platform's review.
 */
export function BankCardsScreen({ area }: { area: WithdrawalArea }) {
  return (
    <WithdrawalAreaProvider area={area}>
      <BankCardList />
    </WithdrawalAreaProvider>
  );
}

function BankCardList() {
  const { t } = useTranslation();
  const { ns, base } = useWithdrawalArea();
  const loadPage = useTablePageLoader();
  const actionRef = useRef<ActionType>(null);
  const screens = Grid.useBreakpoint();
  const compact = !screens.md;
  const reload = () => actionRef.current?.reload();

  const columns: ProColumns<BankCard>[] = [
    {
      title: t('glossary:bankCard'),
      key: 'compact',
      hideInTable: !compact,
      render: (_, row) => <CompactCard card={row} actions={<CardActions card={row} onChanged={reload} />} />,
    },
    {
      title: t(`${ns}:bankCards.accountNo`),
      dataIndex: 'accountNoMasked',
      hideInTable: compact,
      width: 250,
      render: (_, row) => (
        <TwoLineCell
          secondaryMono={false}
          secondary={[row.bankName, row.bankBranch].filter(Boolean).join(' · ')}
          secondaryTip={t(`${ns}:bankCards.bank`)}
          time={row.createdAt}
          timeTip={t(`${ns}:bankCards.createdAt`)}
        >
          <Space size={6}>
            <Typography.Text strong className="qy-mono" data-cell="card">
              {row.accountNoMasked}
            </Typography.Text>
            {row.isDefault && <Tag color="blue">{t(`${ns}:bankCards.default`)}</Tag>}
          </Space>
        </TwoLineCell>
      ),
    },
    {
      title: t(`${ns}:bankCards.holder`),
      dataIndex: 'holderName',
      hideInTable: compact,
      width: 200,
      render: (_, row) => (
        <Space direction="vertical" size={0}>
          <span>{row.holderName}</span>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {glossaryWord('cardType', row.cardType)}
          </Typography.Text>
        </Space>
      ),
    },
    {
      title: t(`${ns}:bankCards.state`),
      dataIndex: 'state',
      hideInTable: compact,
      width: 260,
      render: (_, row) => <CardState card={row} />,
    },
    {
      title: t(`${ns}:bankCards.actions`),
      key: 'actions',
      valueType: 'option',
      hideInTable: compact,
      width: 180,
      render: (_, row) => <CardActions card={row} onChanged={reload} />,
    },
  ];

  return (
    <Page
      title={t(`${ns}:bankCards.title`)}
      subTitle={screens.md ? t(`${ns}:bankCards.subtitle`) : undefined}
      extra={<BindCard onBound={reload} />}
    >
      <div data-testid="bank-card-table">
        <ProTable<BankCard>
          rowKey="id"
          actionRef={actionRef}
          columns={columns}
          search={false}
          request={(query) => loadPage<BankCard>(`${base}/bank-cards`, pageParams(query), query)}
          pagination={{ defaultPageSize: 20, hideOnSinglePage: true }}
          options={{ density: false, reload: true, setting: true, fullScreen: false }}
          scroll={compact ? undefined : { x: widthOf(columns) }}
          columnsState={remembered(`${ns}.bankCards`)}
          size="middle"
        />
      </div>
    </Page>
  );
}

function CardState({ card }: { card: BankCard }) {
  const { t } = useTranslation();
  const { ns } = useWithdrawalArea();
  return (
    <Space direction="vertical" size={2} data-cell="state">
      <Tag
        color={STATE_COLOR[card.state] ?? 'default'}
        data-state={card.state}
        style={{ marginInlineEnd: 0 }}
      >
        {t(`${ns}:bankCards.stateWord.${card.state}`, { defaultValue: card.state })}
      </Tag>
      {card.state === 'pending_review' && (
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {t(`${ns}:bankCards.pendingHint`)}
        </Typography.Text>
      )}
      {card.state === 'rejected' && card.reviewReason && (
        <Typography.Text type="danger" style={{ fontSize: 12 }}>
          {t('common:finance.reason', { reason: card.reviewReason })}
        </Typography.Text>
      )}
    </Space>
  );
}

function CardActions({ card, onChanged }: { card: BankCard; onChanged: () => void }) {
  return (
    <Space wrap size={[12, 0]}>
      {card.state === 'active' && !card.isDefault && (
        <ConfirmCard card={card} action="default" onDone={onChanged} />
      )}
      <ConfirmCard card={card} action="remove" onDone={onChanged} />
    </Space>
  );
}

function CompactCard({ card, actions }: { card: BankCard; actions: ReactNode }) {
  return (
    <div>
      <Flex justify="space-between" align="center" gap={8}>
        <Typography.Text strong className="qy-mono">
          {card.accountNoMasked}
        </Typography.Text>
        <CardState card={card} />
      </Flex>
      <div style={{ fontSize: 12 }}>
        {card.bankName} · {card.holderName} · {glossaryWord('cardType', card.cardType)}
      </div>
      {actions}
    </div>
  );
}

interface BindForm {
  holderName: string;
  accountNo: string;
  bankName: string;
  bankBranch?: string;
  cardType: 'personal' | 'corporate';
  password: string;
  totpCode?: string;
}

/** 绑定银行卡: holder, number, bank, branch, type; the manager's password (and TOTP code). */
function BindCard({ onBound }: { onBound: () => void }) {
  const { t } = useTranslation();
  const { ns, base } = useWithdrawalArea();
  const { message } = App.useApp();
  const [error, setError] = useState<unknown>(null);
  return (
    <ModalForm<BindForm>
      title={t(`${ns}:bankCards.bind`)}
      width={520}
      modalProps={{ destroyOnHidden: true, afterClose: () => setError(null) }}
      initialValues={{ cardType: 'personal' }}
      submitter={{ searchConfig: { submitText: t(`${ns}:bankCards.bindSubmit`) } }}
      trigger={
        <Button type="primary" icon={<PlusOutlined />} data-testid="bind-card">
          {t(`${ns}:bankCards.bind`)}
        </Button>
      }
      onFinish={async (v) => {
        setError(null);
        try {
          const card = await api.post<BankCard>(`${base}/bank-cards`, {
            holderName: v.holderName.trim(),
            accountNo: v.accountNo.replace(/\s+/g, ''),
            bankName: v.bankName.trim(),
            bankBranch: v.bankBranch?.trim() || undefined,
            cardType: v.cardType,
            password: v.password,
            totpCode: v.totpCode?.trim() || undefined,
          });
          message.success(
            t(card?.state === 'pending_review' ? `${ns}:bankCards.boundReview` : `${ns}:bankCards.bound`),
          );
          onBound();
          return true;
        } catch (e) {
          setError(e);
          return false;
        }
      }}
    >
      <div data-testid="bind-card-form">
        <ErrorAlert error={error} />
        <ProFormText
          name="holderName"
          label={t(`${ns}:bankCards.holder`)}
          fieldProps={{ maxLength: 64, autoComplete: 'off' }}
          rules={[{ required: true, whitespace: true, message: t(`${ns}:bankCards.holderRequired`) }]}
        />
        <ProFormText
          name="accountNo"
          label={t(`${ns}:bankCards.accountNo`)}
          fieldProps={{ inputMode: 'numeric', maxLength: 40, autoComplete: 'off' }}
          rules={[
            {
              required: true,
              pattern: /^\s*(\d\s?){12,30}$/,
              message: t(`${ns}:bankCards.accountNoRule`),
            },
          ]}
        />
        <ProFormText
          name="bankName"
          label={t(`${ns}:bankCards.bank`)}
          placeholder={t(`${ns}:bankCards.bankPlaceholder`)}
          fieldProps={{ maxLength: 64 }}
          rules={[{ required: true, whitespace: true, message: t(`${ns}:bankCards.bankRequired`) }]}
        />
        <ProFormText
          name="bankBranch"
          label={t(`${ns}:bankCards.branch`)}
          placeholder={t(`${ns}:bankCards.branchPlaceholder`)}
          fieldProps={{ maxLength: 128 }}
        />
        <ProFormRadio.Group
          name="cardType"
          label={t(`${ns}:bankCards.type`)}
          radioType="button"
          options={[
            { value: 'personal', label: t('glossary:cardType.personal') },
            { value: 'corporate', label: t('glossary:cardType.corporate') },
          ]}
        />
        <Alert type="info" showIcon message={t(`${ns}:bankCards.reviewHint`)} style={{ marginBottom: 16 }} />
        <ProFormText.Password
          name="password"
          label={t(`${ns}:bankCards.password`)}
          fieldProps={{ autoComplete: 'current-password' }}
          rules={[{ required: true, message: t('auth.passwordRequired') }]}
        />
        <TotpField />
      </div>
    </ModalForm>
  );
}

/** 设为默认 / 删除: each with the manager's password (and TOTP code). */
function ConfirmCard({
  card,
  action,
  onDone,
}: {
  card: BankCard;
  action: 'default' | 'remove';
  onDone: () => void;
}) {
  const { t } = useTranslation();
  const { ns, base } = useWithdrawalArea();
  const { message } = App.useApp();
  const [error, setError] = useState<unknown>(null);
  const remove = action === 'remove';
  const path = `${base}/bank-cards/${encodeURIComponent(card.id)}`;
  const cardText = `${card.bankName} ${card.accountNoMasked}`;
  return (
    <ModalForm<{ password: string; totpCode?: string }>
      title={t(remove ? `${ns}:bankCards.remove` : `${ns}:bankCards.setDefault`)}
      width={440}
      modalProps={{ destroyOnHidden: true, afterClose: () => setError(null) }}
      submitter={{
        searchConfig: {
          submitText: t(remove ? `${ns}:bankCards.removeSubmit` : `${ns}:bankCards.setDefaultSubmit`),
        },
        submitButtonProps: { danger: remove },
      }}
      trigger={
        <RowAction danger={remove} icon={remove ? <DeleteOutlined /> : <StarOutlined />}>
          {t(remove ? `${ns}:bankCards.remove` : `${ns}:bankCards.setDefault`)}
        </RowAction>
      }
      onFinish={async (v) => {
        setError(null);
        const body = { password: v.password, totpCode: v.totpCode?.trim() || undefined };
        try {
          if (remove) await api.del(path, body);
          else await api.post(`${path}/default`, body);
          message.success(t(remove ? `${ns}:bankCards.removed` : `${ns}:bankCards.defaultDone`));
          onDone();
          return true;
        } catch (e) {
          setError(e);
          return false;
        }
      }}
    >
      <Typography.Paragraph>
        {t(remove ? `${ns}:bankCards.removeConfirm` : `${ns}:bankCards.setDefaultConfirm`, {
          card: cardText,
        })}
      </Typography.Paragraph>
      <ErrorAlert error={error} />
      <ProFormText.Password
        name="password"
        label={t(`${ns}:bankCards.password`)}
        fieldProps={{ autoComplete: 'current-password' }}
        rules={[{ required: true, message: t('auth.passwordRequired') }]}
      />
      <TotpField />
    </ModalForm>
  );
}
