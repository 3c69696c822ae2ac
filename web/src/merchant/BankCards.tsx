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
import { ErrorAlert } from '../shell/ErrorAlert.tsx';
import { glossaryWord } from '../shell/financeFormat.ts';
import { RowAction, remembered, widthOf } from '../shell/listTable.tsx';
import { Page } from '../shell/Page.tsx';
import { useSession } from '../shell/session.tsx';
import { TwoLineCell } from '../shell/TwoLineCell.tsx';
import { useTablePageLoader } from '../shell/tablePage.ts';
import { type BankCard, PORTAL_API, pageParams } from './financeTypes.ts';
import { useSubtitle } from './useSubtitle.ts';

const STATE_COLOR: Record<string, string> = {
  active: 'success',
  pending_review: 'processing',
  rejected: 'error',
};

/**
 * 银行卡 (managers): the settlement bank cards, masked; bind one (password, and the TOTP code when the
 * manager has it on), choose the default, remove one. A card may wait for the platform's review.
 */
export function BankCards() {
  const { t } = useTranslation();
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
      title: t('merchant:bankCards.accountNo'),
      dataIndex: 'accountNoMasked',
      hideInTable: compact,
      width: 250,
      render: (_, row) => (
        <TwoLineCell
          secondaryMono={false}
          secondary={[row.bankName, row.bankBranch].filter(Boolean).join(' · ')}
          secondaryTip={t('merchant:bankCards.bank')}
          time={row.createdAt}
          timeTip={t('merchant:bankCards.createdAt')}
        >
          <Space size={6}>
            <Typography.Text strong className="qy-mono" data-cell="card">
              {row.accountNoMasked}
            </Typography.Text>
            {row.isDefault && <Tag color="blue">{t('merchant:bankCards.default')}</Tag>}
          </Space>
        </TwoLineCell>
      ),
    },
    {
      title: t('merchant:bankCards.holder'),
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
      title: t('merchant:bankCards.state'),
      dataIndex: 'state',
      hideInTable: compact,
      width: 260,
      render: (_, row) => <CardState card={row} />,
    },
    {
      title: t('merchant:bankCards.actions'),
      key: 'actions',
      valueType: 'option',
      hideInTable: compact,
      width: 180,
      render: (_, row) => <CardActions card={row} onChanged={reload} />,
    },
  ];

  const subTitle = useSubtitle(t('merchant:bankCards.subtitle'));
  return (
    <Page title={t('merchant:bankCards.title')} subTitle={subTitle} extra={<BindCard onBound={reload} />}>
      <div data-testid="bank-card-table">
        <ProTable<BankCard>
          rowKey="id"
          actionRef={actionRef}
          columns={columns}
          search={false}
          request={(query) => loadPage<BankCard>(`${PORTAL_API}/bank-cards`, pageParams(query), query)}
          pagination={{ defaultPageSize: 20, hideOnSinglePage: true }}
          options={{ density: false, reload: true, setting: true, fullScreen: false }}
          scroll={compact ? undefined : { x: widthOf(columns) }}
          columnsState={remembered('merchant.bankCards')}
          size="middle"
        />
      </div>
    </Page>
  );
}

function CardState({ card }: { card: BankCard }) {
  const { t } = useTranslation();
  return (
    <Space direction="vertical" size={2} data-cell="state">
      <Tag
        color={STATE_COLOR[card.state] ?? 'default'}
        data-state={card.state}
        style={{ marginInlineEnd: 0 }}
      >
        {t(`merchant:bankCards.stateWord.${card.state}`, { defaultValue: card.state })}
      </Tag>
      {card.state === 'pending_review' && (
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {t('merchant:bankCards.pendingHint')}
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

/** The TOTP code field, for a manager who has two-step verification on. */
function TotpField() {
  const { t } = useTranslation();
  const { session } = useSession();
  if (!session?.user.totpEnabled) return null;
  return (
    <ProFormText
      name="totpCode"
      label={t('totp.code')}
      placeholder={t('totp.codePlaceholder')}
      fieldProps={{ autoComplete: 'one-time-code', inputMode: 'numeric', maxLength: 6 }}
      rules={[{ required: true, pattern: /^\s*\d{6}\s*$/, message: t('totp.codeRule') }]}
    />
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
  const { message } = App.useApp();
  const [error, setError] = useState<unknown>(null);
  return (
    <ModalForm<BindForm>
      title={t('merchant:bankCards.bind')}
      width={520}
      modalProps={{ destroyOnHidden: true, afterClose: () => setError(null) }}
      initialValues={{ cardType: 'personal' }}
      submitter={{ searchConfig: { submitText: t('merchant:bankCards.bindSubmit') } }}
      trigger={
        <Button type="primary" icon={<PlusOutlined />} data-testid="bind-card">
          {t('merchant:bankCards.bind')}
        </Button>
      }
      onFinish={async (v) => {
        setError(null);
        try {
          const card = await api.post<BankCard>(`${PORTAL_API}/bank-cards`, {
            holderName: v.holderName.trim(),
            accountNo: v.accountNo.replace(/\s+/g, ''),
            bankName: v.bankName.trim(),
            bankBranch: v.bankBranch?.trim() || undefined,
            cardType: v.cardType,
            password: v.password,
            totpCode: v.totpCode?.trim() || undefined,
          });
          message.success(
            t(
              card?.state === 'pending_review'
                ? 'merchant:bankCards.boundReview'
                : 'merchant:bankCards.bound',
            ),
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
          label={t('merchant:bankCards.holder')}
          fieldProps={{ maxLength: 64, autoComplete: 'off' }}
          rules={[{ required: true, whitespace: true, message: t('merchant:bankCards.holderRequired') }]}
        />
        <ProFormText
          name="accountNo"
          label={t('merchant:bankCards.accountNo')}
          fieldProps={{ inputMode: 'numeric', maxLength: 40, autoComplete: 'off' }}
          rules={[
            {
              required: true,
              pattern: /^\s*(\d\s?){12,30}$/,
              message: t('merchant:bankCards.accountNoRule'),
            },
          ]}
        />
        <ProFormText
          name="bankName"
          label={t('merchant:bankCards.bank')}
          placeholder={t('merchant:bankCards.bankPlaceholder')}
          fieldProps={{ maxLength: 64 }}
          rules={[{ required: true, whitespace: true, message: t('merchant:bankCards.bankRequired') }]}
        />
        <ProFormText
          name="bankBranch"
          label={t('merchant:bankCards.branch')}
          placeholder={t('merchant:bankCards.branchPlaceholder')}
          fieldProps={{ maxLength: 128 }}
        />
        <ProFormRadio.Group
          name="cardType"
          label={t('merchant:bankCards.type')}
          radioType="button"
          options={[
            { value: 'personal', label: t('glossary:cardType.personal') },
            { value: 'corporate', label: t('glossary:cardType.corporate') },
          ]}
        />
        <Alert
          type="info"
          showIcon
          message={t('merchant:bankCards.reviewHint')}
          style={{ marginBottom: 16 }}
        />
        <ProFormText.Password
          name="password"
          label={t('merchant:bankCards.password')}
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
  const { message } = App.useApp();
  const [error, setError] = useState<unknown>(null);
  const remove = action === 'remove';
  const path = `${PORTAL_API}/bank-cards/${encodeURIComponent(card.id)}`;
  const cardText = `${card.bankName} ${card.accountNoMasked}`;
  return (
    <ModalForm<{ password: string; totpCode?: string }>
      title={t(remove ? 'merchant:bankCards.remove' : 'merchant:bankCards.setDefault')}
      width={440}
      modalProps={{ destroyOnHidden: true, afterClose: () => setError(null) }}
      submitter={{
        searchConfig: {
          submitText: t(remove ? 'merchant:bankCards.removeSubmit' : 'merchant:bankCards.setDefaultSubmit'),
        },
        submitButtonProps: { danger: remove },
      }}
      trigger={
        <RowAction danger={remove} icon={remove ? <DeleteOutlined /> : <StarOutlined />}>
          {t(remove ? 'merchant:bankCards.remove' : 'merchant:bankCards.setDefault')}
        </RowAction>
      }
      onFinish={async (v) => {
        setError(null);
        const body = { password: v.password, totpCode: v.totpCode?.trim() || undefined };
        try {
          if (remove) await api.del(path, body);
          else await api.post(`${path}/default`, body);
          message.success(t(remove ? 'merchant:bankCards.removed' : 'merchant:bankCards.defaultDone'));
          onDone();
          return true;
        } catch (e) {
          setError(e);
          return false;
        }
      }}
    >
      <Typography.Paragraph>
        {t(remove ? 'merchant:bankCards.removeConfirm' : 'merchant:bankCards.setDefaultConfirm', {
          card: cardText,
        })}
      </Typography.Paragraph>
      <ErrorAlert error={error} />
      <ProFormText.Password
        name="password"
        label={t('merchant:bankCards.password')}
        fieldProps={{ autoComplete: 'current-password' }}
        rules={[{ required: true, message: t('auth.passwordRequired') }]}
      />
      <TotpField />
    </ModalForm>
  );
}
