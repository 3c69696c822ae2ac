import { PlusOutlined } from '@ant-design/icons';
import { type ActionType, ModalForm, type ProColumns, ProTable } from '@ant-design/pro-components';
import {
  App,
  Button,
  Flex,
  Form,
  Grid,
  Input,
  Modal,
  Popconfirm,
  QRCode,
  Space,
  Tag,
  Typography,
} from 'antd';
import { useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, qs } from '../api.ts';
import { errorText } from '../shell/errors.ts';
import { dateTime } from '../shell/format.ts';
import { RowAction, remembered, widthOf } from '../shell/listTable.tsx';
import { Page } from '../shell/Page.tsx';
import { TwoLineCell } from '../shell/TwoLineCell.tsx';
import { useApi } from '../shell/useApi.ts';
import type { CursorPage, MemberType } from './marketplaceApi.ts';
import { useForwardPager } from './marketplacePager.tsx';
import { FieldSelect, marketWord } from './marketplaceTags.tsx';
import { asList, type List, type MerchantAppInfo } from './types.ts';
import { useSubtitle } from './useSubtitle.ts';

const BASE = '/api/merchant/member-onboarding-links';
const LINK_STATES = ['open', 'completed', 'revoked', 'expired'] as const;
type LinkState = (typeof LINK_STATES)[number];
const STATE_COLOR: Record<LinkState, string> = {
  open: 'processing',
  completed: 'success',
  revoked: 'default',
  expired: 'warning',
};

interface LinkView {
  linkNo: string;
  appId: string | null;
  appName: string | null;
  state: LinkState;
  expiresAt: string;
  remainingSeconds: number;
  preset: {
    bizUserId: string | null;
    type: MemberType | null;
    name: string | null;
    phoneMasked: string | null;
  };
  type: MemberType | null;
  name: string | null;
  progress: { identity: boolean; licence: boolean; phone: boolean; card: 'bound' | 'skipped' | null };
  images: { kind: 'licence' | 'legal_person_id'; size: number }[];
  memberNo: string | null;
  createdAt: string;
}

/**
 * 签约链接: the merchant's links for members to onboard themselves (seed 001 §1), each with its app,
 * what was filled in beforehand, the member's progress, the validity in local time with the time
 * left, and its state; create (the link and its QR shown once, to copy or scan) and revoke.
 */
export function OnboardingLinks() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const compact = !Grid.useBreakpoint().md;
  const actionRef = useRef<ActionType>(null);
  const { load, pager } = useForwardPager(actionRef);
  const [created, setCreated] = useState<(LinkView & { url: string }) | null>(null);

  const revoke = async (link: LinkView) => {
    try {
      await api.post(`${BASE}/${link.linkNo}/revoke`);
      message.success(t('merchant:onboardingLinks.revoked'));
      actionRef.current?.reload();
    } catch (e) {
      message.error(errorText(e));
    }
  };
  const revokeAction = (row: LinkView) =>
    row.state === 'open' ? (
      <Popconfirm title={t('merchant:onboardingLinks.revokeConfirm')} onConfirm={() => revoke(row)}>
        <RowAction danger data-testid={`revoke-${row.linkNo}`}>
          {t('merchant:onboardingLinks.revoke')}
        </RowAction>
      </Popconfirm>
    ) : null;

  const columns: ProColumns<LinkView>[] = [
    {
      title: t('merchant:onboardingLinks.linkNo'),
      key: 'compact',
      hideInSearch: true,
      hideInTable: !compact,
      render: (_, row) => (
        <Space direction="vertical" size={4} style={{ width: '100%' }}>
          <Flex justify="space-between" align="center" gap={8}>
            <Typography.Text className="qy-mono">{row.linkNo}</Typography.Text>
            <StateTag state={row.state} />
          </Flex>
          <Validity link={row} />
          <Progress link={row} />
          {revokeAction(row)}
        </Space>
      ),
    },
    {
      title: t('merchant:onboardingLinks.linkNo'),
      dataIndex: 'linkNo',
      hideInSearch: true,
      hideInTable: compact,
      width: 180,
      render: (_, row) => (
        <TwoLineCell
          secondary={row.appName ?? row.appId ?? '-'}
          secondaryTip={t('merchant:onboardingLinks.app')}
          time={row.createdAt}
          timeTip={t('merchant:onboardingLinks.createdAt')}
        >
          <span className="qy-mono">{row.linkNo}</span>
        </TwoLineCell>
      ),
    },
    {
      title: t('merchant:onboardingLinks.preset'),
      key: 'preset',
      hideInSearch: true,
      hideInTable: compact,
      width: 170,
      render: (_, row) => {
        const name = row.name ?? row.preset.name;
        const type = row.type ?? row.preset.type;
        return (
          <Space direction="vertical" size={0}>
            <span>{name ?? '-'}</span>
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {[row.preset.bizUserId, type && marketWord('memberType', type), row.preset.phoneMasked]
                .filter(Boolean)
                .join(' · ') || t('merchant:onboardingLinks.typeAny')}
            </Typography.Text>
          </Space>
        );
      },
    },
    {
      title: t('merchant:onboardingLinks.progress'),
      key: 'progress',
      hideInSearch: true,
      hideInTable: compact,
      width: 220,
      render: (_, row) => <Progress link={row} />,
    },
    {
      title: t('merchant:onboardingLinks.validity'),
      key: 'validity',
      hideInSearch: true,
      hideInTable: compact,
      width: 180,
      render: (_, row) => <Validity link={row} />,
    },
    {
      title: t('merchant:onboardingLinks.state'),
      dataIndex: 'state',
      hideInTable: compact,
      width: 100,
      valueType: 'select',
      valueEnum: Object.fromEntries(
        LINK_STATES.map((s) => [s, { text: t(`merchant:onboardingLinks.states.${s}`) }]),
      ),
      render: (_, row) => (
        <Space direction="vertical" size={2}>
          <StateTag state={row.state} />
          {row.memberNo && <span className="qy-mono">{row.memberNo}</span>}
        </Space>
      ),
    },
    {
      title: t('merchant:onboardingLinks.actions'),
      key: 'actions',
      valueType: 'option',
      hideInTable: compact,
      width: 70,
      render: (_, row) => revokeAction(row),
    },
  ];

  const subTitle = useSubtitle(t('merchant:onboardingLinks.subtitle'));
  return (
    <Page
      title={t('merchant:onboardingLinks.title')}
      subTitle={subTitle}
      extra={
        <NewLinkButton
          onCreated={(link) => {
            setCreated(link);
            actionRef.current?.reload();
          }}
        />
      }
    >
      <div data-testid="onboarding-link-table">
        <ProTable<LinkView, { state?: LinkState }>
          rowKey="linkNo"
          actionRef={actionRef}
          columns={columns}
          request={(query) => {
            const filters = { state: query.state };
            return load(filters, (cursor) =>
              api.get<CursorPage<LinkView>>(`${BASE}${qs({ ...filters, cursor })}`),
            );
          }}
          pagination={false}
          search={{ labelWidth: 'auto', defaultCollapsed: compact }}
          form={{ syncToUrl: false }}
          options={{ density: false, reload: true, setting: true, fullScreen: false }}
          scroll={compact ? undefined : { x: widthOf(columns) }}
          columnsState={remembered('merchant.onboardingLinks')}
          size="middle"
        />
        {pager}
      </div>
      <CreatedLink link={created} onClose={() => setCreated(null)} />
    </Page>
  );
}

function StateTag({ state }: { state: LinkState }) {
  const { t } = useTranslation();
  return (
    <Tag color={STATE_COLOR[state]} data-state={state}>
      {t(`merchant:onboardingLinks.states.${state}`)}
    </Tag>
  );
}

/** The time left for an open link (days and hours, or hours and minutes), and the expiry in local time. */
function Validity({ link }: { link: LinkView }) {
  const { t } = useTranslation();
  const s = link.remainingSeconds;
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3_600);
  const m = Math.floor((s % 3_600) / 60);
  const left =
    d > 0
      ? t('merchant:onboardingLinks.days', { d, h })
      : h > 0
        ? t('merchant:onboardingLinks.hours', { h, m })
        : t('merchant:onboardingLinks.minutes', { m });
  return (
    <Space direction="vertical" size={0}>
      {link.state === 'open' && <span>{t('merchant:onboardingLinks.remaining', { time: left })}</span>}
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
        {t('merchant:onboardingLinks.expiresAt', { time: dateTime(link.expiresAt) })}
      </Typography.Text>
    </Space>
  );
}

/** Each step as a tag, done or not; an enterprise's licence images open in a new tab. */
function Progress({ link }: { link: LinkView }) {
  const { t } = useTranslation();
  const type = link.type ?? link.preset.type;
  const steps: { key: string; done: boolean; hidden?: boolean }[] = [
    { key: 'identity', done: link.progress.identity },
    { key: 'licence', done: link.progress.licence, hidden: type === 'personal' },
    { key: 'phone', done: link.progress.phone },
    { key: 'card', done: link.progress.card === 'bound' },
    { key: 'agreement', done: link.state === 'completed' },
  ];
  return (
    <Space direction="vertical" size={2}>
      <Flex wrap gap={4}>
        {steps
          .filter((s) => !s.hidden)
          .map((s) => (
            <Tag
              key={s.key}
              color={s.done ? 'success' : undefined}
              title={t(s.done ? 'merchant:onboardingLinks.done' : 'merchant:onboardingLinks.notDone')}
            >
              {s.done ? '✓ ' : ''}
              {t(`merchant:onboardingLinks.step.${s.key}`)}
            </Tag>
          ))}
      </Flex>
      {link.progress.card === 'skipped' && (
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {t('merchant:onboardingLinks.cardSkipped')}
        </Typography.Text>
      )}
      {link.images.length > 0 && (
        <Space size={8} wrap>
          {link.images.map((i) => (
            <Typography.Link
              key={i.kind}
              href={`${BASE}/${link.linkNo}/images/${i.kind}`}
              target="_blank"
              rel="noopener"
            >
              {t(
                i.kind === 'licence'
                  ? 'merchant:onboardingLinks.licence'
                  : 'merchant:onboardingLinks.legalPersonId',
              )}
            </Typography.Link>
          ))}
        </Space>
      )}
    </Space>
  );
}

/** The new link, shown once: its QR code, the address to copy, and until when it is valid. */
function CreatedLink({ link, onClose }: { link: (LinkView & { url: string }) | null; onClose: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  return (
    <Modal
      open={link !== null}
      title={t('merchant:onboardingLinks.created')}
      onCancel={onClose}
      footer={<Button onClick={onClose}>{t('common:actions.close')}</Button>}
      width={440}
      destroyOnHidden
    >
      {link && (
        <Flex vertical align="center" gap={12} data-testid="onboarding-link-created">
          <QRCode value={link.url} size={200} />
          <Typography.Paragraph type="secondary" style={{ marginBottom: 0 }}>
            {t('merchant:onboardingLinks.createdHint', { time: dateTime(link.expiresAt) })}
          </Typography.Paragraph>
          <Input
            value={link.url}
            readOnly
            className="qy-mono"
            aria-label={t('merchant:onboardingLinks.url')}
            data-testid="onboarding-link-url"
          />
          <Button
            type="primary"
            onClick={() =>
              navigator.clipboard
                .writeText(link.url)
                .then(() => message.success(t('merchant:onboardingLinks.copied')))
                .catch((e) => message.error(errorText(e)))
            }
          >
            {t('merchant:onboardingLinks.copy')}
          </Button>
        </Flex>
      )}
    </Modal>
  );
}

interface NewLinkForm {
  appId: string;
  bizUserId?: string;
  type?: MemberType;
  name?: string;
  phone?: string;
}

function NewLinkButton({ onCreated }: { onCreated: (link: LinkView & { url: string }) => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<NewLinkForm>();
  const apps = useApi<List<MerchantAppInfo> | MerchantAppInfo[]>('/api/merchant/apps');
  const appOptions = asList(apps.data).items.map((a) => ({
    value: a.appId,
    label: `${a.name} (${a.appId})`,
  }));
  return (
    <ModalForm<NewLinkForm>
      title={t('merchant:onboardingLinks.createTitle')}
      width={520}
      form={form}
      modalProps={{ destroyOnHidden: true }}
      initialValues={{ appId: appOptions.length === 1 ? appOptions[0]!.value : undefined }}
      trigger={
        <Button type="primary" icon={<PlusOutlined />} data-testid="onboarding-link-create">
          {t('merchant:onboardingLinks.create')}
        </Button>
      }
      onFinish={async (v) => {
        const trimmed = (s?: string) => s?.trim() || undefined;
        try {
          const link = await api.post<LinkView & { url: string }>(BASE, {
            appId: v.appId,
            bizUserId: trimmed(v.bizUserId),
            type: v.type || undefined,
            name: trimmed(v.name),
            phone: trimmed(v.phone),
          });
          onCreated(link);
          return true;
        } catch (e) {
          message.error(errorText(e));
          return false;
        }
      }}
    >
      <Typography.Paragraph type="secondary">{t('merchant:onboardingLinks.createHint')}</Typography.Paragraph>
      <Form.Item
        name="appId"
        label={t('merchant:onboardingLinks.app')}
        rules={[{ required: true, message: t('merchant:onboardingLinks.appRequired') }]}
      >
        <FieldSelect options={appOptions} loading={apps.loading} />
      </Form.Item>
      <Form.Item
        name="bizUserId"
        label={t('merchant:onboardingLinks.bizUserId')}
        extra={t('merchant:onboardingLinks.bizUserIdHint')}
        rules={[
          { pattern: /^\s*[A-Za-z0-9_-]{1,64}\s*$/, message: t('merchant:onboardingLinks.bizUserIdFormat') },
        ]}
      >
        <Input autoComplete="off" className="qy-mono" />
      </Form.Item>
      <Form.Item name="type" label={t('merchant:onboardingLinks.type')}>
        <FieldSelect
          allowClear
          placeholder={t('merchant:onboardingLinks.typeAny')}
          options={(['personal', 'enterprise'] as const).map((value) => ({
            value,
            label: marketWord('memberType', value),
          }))}
        />
      </Form.Item>
      <Form.Item name="name" label={t('merchant:onboardingLinks.name')}>
        <Input autoComplete="off" maxLength={100} />
      </Form.Item>
      <Form.Item
        name="phone"
        label={t('merchant:onboardingLinks.phone')}
        rules={[{ pattern: /^\s*1\d{10}\s*$/, message: t('merchant:onboardingLinks.phoneFormat') }]}
      >
        <Input autoComplete="off" inputMode="tel" maxLength={11} />
      </Form.Item>
    </ModalForm>
  );
}
