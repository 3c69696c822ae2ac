import { PlusOutlined, UploadOutlined } from '@ant-design/icons';
import { type ActionType, ModalForm, type ProColumns, ProTable } from '@ant-design/pro-components';
import { App, Button, Flex, Form, Grid, Input, Space, Typography } from 'antd';
import { useRef } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { errorText } from '../shell/errors.ts';
import { yuan } from '../shell/format.ts';
import { FiguresCell, RowAction, remembered, widthOf } from '../shell/listTable.tsx';
import { Page } from '../shell/Page.tsx';
import { openableRow } from '../shell/rowClick.ts';
import { TwoLineCell } from '../shell/TwoLineCell.tsx';
import { useApi } from '../shell/useApi.ts';
import { MemberDrawer } from './MemberDrawer.tsx';
import {
  MEMBER_STATES,
  type MemberType,
  type MemberView,
  marketplaceApi,
  type NewMember,
} from './marketplaceApi.ts';
import { useForwardPager } from './marketplacePager.tsx';
import { FieldSelect, MemberStateTag, marketWord } from './marketplaceTags.tsx';
import { asList, type List, type MerchantAppInfo } from './types.ts';
import { useSubtitle } from './useSubtitle.ts';

interface MemberQuery {
  q?: string;
  state?: string;
}

/** 个人会员 (managers): the merchant's personal members. */
export function PersonalMembers() {
  return <MembersScreen type="personal" />;
}

/** 企业会员 (managers): the merchant's enterprise members. */
export function EnterpriseMembers() {
  return <MembersScreen type="enterprise" />;
}

/**
 * The members of the merchant's apps, one type per screen (the seed's 企业会员查询 / 个人会员管理):
 * found by number, member ID or name and by state, opened on the member's drawer (balances, cards,
 * agreements, account entries; freeze, unfreeze, close), and opened on the member's behalf.
 */
function MembersScreen({ type }: { type: MemberType }) {
  const { t } = useTranslation();
  const screens = Grid.useBreakpoint();
  const compact = !screens.md;
  const actionRef = useRef<ActionType>(null);
  const { load, pager } = useForwardPager(actionRef);
  const [params, setParams] = useSearchParams();
  const open = params.get('member');
  const show = (memberNo: string | null) => {
    const next = new URLSearchParams(params);
    if (memberNo) next.set('member', memberNo);
    else next.delete('member');
    setParams(next, { replace: !memberNo });
  };
  const enterprise = type === 'enterprise';

  const columns: ProColumns<MemberView>[] = [
    {
      title: t('merchant:marketplace.members.search'),
      dataIndex: 'q',
      hideInTable: true,
      fieldProps: { allowClear: true, placeholder: t('merchant:marketplace.members.searchPlaceholder') },
      order: 2,
    },
    {
      title: t('merchant:marketplace.members.member'),
      key: 'compact',
      hideInSearch: true,
      hideInTable: !compact,
      render: (_, row) => <CompactMember member={row} />,
    },
    {
      title: t('merchant:marketplace.members.memberNo'),
      dataIndex: 'memberNo',
      hideInSearch: true,
      hideInTable: compact,
      width: 200,
      render: (_, row) => (
        <TwoLineCell
          secondary={row.bizUserId}
          secondaryTip={t('merchant:marketplace.members.bizUserId')}
          time={row.createdAt}
          timeTip={t('merchant:marketplace.members.createdAt')}
        >
          <RowAction className="qy-mono" onClick={() => show(row.memberNo)}>
            {row.memberNo}
          </RowAction>
        </TwoLineCell>
      ),
    },
    {
      title: t(
        enterprise ? 'merchant:marketplace.members.companyName' : 'merchant:marketplace.members.personName',
      ),
      dataIndex: 'name',
      hideInSearch: true,
      hideInTable: compact,
      width: 200,
      render: (_, row) => (
        <Space direction="vertical" size={0}>
          <span>{row.name}</span>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {enterprise
              ? `${t('merchant:marketplace.members.legalPersonName')} ${row.legalPersonName ?? '-'}`
              : (row.phoneMasked ?? '-')}
          </Typography.Text>
        </Space>
      ),
    },
    {
      title: t(
        enterprise ? 'merchant:marketplace.members.companyIdNo' : 'merchant:marketplace.members.personIdNo',
      ),
      dataIndex: 'idNoMasked',
      hideInSearch: true,
      hideInTable: compact,
      width: 170,
      render: (_, row) => (
        <Space direction="vertical" size={0}>
          <span className="qy-mono">{row.idNoMasked ?? '-'}</span>
          <Typography.Text type={row.realNameVerified ? 'success' : 'secondary'} style={{ fontSize: 12 }}>
            {t(
              row.realNameVerified
                ? 'merchant:marketplace.members.verified'
                : 'merchant:marketplace.members.unverified',
            )}
          </Typography.Text>
        </Space>
      ),
    },
    {
      title: t('merchant:marketplace.members.balances'),
      key: 'balances',
      hideInSearch: true,
      hideInTable: compact,
      align: 'right',
      width: 160,
      render: (_, row) =>
        row.balances ? (
          <FiguresCell
            main={yuan(row.balances.available)}
            figures={[
              { label: t('merchant:marketplace.account.pending'), value: yuan(row.balances.pending) },
              row.balances.frozen > 0 && {
                label: t('merchant:marketplace.account.frozen'),
                value: yuan(row.balances.frozen),
              },
            ]}
          />
        ) : (
          '-'
        ),
    },
    {
      title: t('merchant:marketplace.members.state'),
      dataIndex: 'state',
      hideInTable: compact,
      width: 120,
      valueType: 'select',
      order: 1,
      valueEnum: Object.fromEntries(MEMBER_STATES.map((s) => [s, { text: marketWord('memberState', s) }])),
      render: (_, row) => (
        <Space direction="vertical" size={2} data-cell="state">
          <MemberStateTag state={row.state} />
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {marketWord('memberSource', row.source)}
          </Typography.Text>
        </Space>
      ),
    },
    {
      title: t('merchant:marketplace.members.actions'),
      key: 'actions',
      valueType: 'option',
      hideInTable: compact,
      width: 70,
      render: (_, row) => (
        <RowAction onClick={() => show(row.memberNo)}>{t('merchant:marketplace.members.detail')}</RowAction>
      ),
    },
  ];

  const subTitle = useSubtitle(
    t(
      enterprise
        ? 'merchant:marketplace.members.subtitleEnterprise'
        : 'merchant:marketplace.members.subtitlePersonal',
    ),
  );
  return (
    <Page
      title={t(enterprise ? 'merchant:marketplace.menu.enterprise' : 'merchant:marketplace.menu.personal')}
      subTitle={subTitle}
      extra={
        <Space wrap>
          <Link to="/merchant/member-imports">
            <Button icon={<UploadOutlined />} data-testid="member-import-open">
              {t('memberImport:openImport')}
            </Button>
          </Link>
          <NewMemberButton type={type} onCreated={() => actionRef.current?.reload()} />
        </Space>
      }
    >
      <div data-testid="member-table">
        <ProTable<MemberView, MemberQuery>
          // A new table per type: the two menu items share this component.
          key={type}
          rowKey="memberNo"
          actionRef={actionRef}
          columns={columns}
          request={(query) => {
            const filters = { type, q: query.q?.trim() || undefined, state: query.state };
            return load(filters, (cursor) => marketplaceApi.members(filters, cursor));
          }}
          pagination={false}
          search={{ labelWidth: 'auto', defaultCollapsed: compact }}
          form={{ syncToUrl: false }}
          options={{ density: false, reload: true, setting: true, fullScreen: false }}
          scroll={compact ? undefined : { x: widthOf(columns) }}
          columnsState={remembered(`merchant.members.${type}`)}
          size="middle"
          onRow={(row) => openableRow(() => show(row.memberNo), row.memberNo)}
        />
        {pager}
      </div>
      <MemberDrawer
        memberNo={open}
        onClose={() => show(null)}
        onChanged={() => actionRef.current?.reload()}
      />
    </Page>
  );
}

/** One member as a small card, for phones: name and state, number, balance, opened time. */
function CompactMember({ member }: { member: MemberView }) {
  const { t } = useTranslation();
  return (
    <div>
      <Flex justify="space-between" align="center" gap={8}>
        <Typography.Text strong>{member.name}</Typography.Text>
        <MemberStateTag state={member.state} />
      </Flex>
      <Flex justify="space-between" gap={8} wrap>
        <Typography.Text type="secondary" className="qy-mono" style={{ fontSize: 12 }}>
          {member.memberNo}
        </Typography.Text>
        {member.balances && (
          <Typography.Text style={{ fontSize: 12 }}>
            {t('merchant:marketplace.account.available')} {yuan(member.balances.available)}
          </Typography.Text>
        )}
      </Flex>
      <TwoLineCell secondary={member.bizUserId} time={member.createdAt}>
        {null}
      </TwoLineCell>
    </div>
  );
}

interface NewMemberForm {
  appId: string;
  bizUserId: string;
  name: string;
  phone?: string;
  idNo?: string;
  legalPersonName?: string;
}

/** 新增会员: the merchant opens an account on the member's behalf, in one of its apps. */
function NewMemberButton({ type, onCreated }: { type: MemberType; onCreated: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<NewMemberForm>();
  const apps = useApi<List<MerchantAppInfo> | MerchantAppInfo[]>('/api/merchant/apps');
  const appOptions = asList(apps.data).items.map((a) => ({
    value: a.appId,
    label: `${a.name} (${a.appId})`,
  }));
  const enterprise = type === 'enterprise';
  return (
    <ModalForm<NewMemberForm>
      title={t(
        enterprise
          ? 'merchant:marketplace.members.createTitleEnterprise'
          : 'merchant:marketplace.members.createTitlePersonal',
      )}
      width={520}
      form={form}
      modalProps={{ destroyOnHidden: true }}
      initialValues={{ appId: appOptions.length === 1 ? appOptions[0]!.value : undefined }}
      trigger={
        <Button type="primary" icon={<PlusOutlined />} data-testid="member-create">
          {t('merchant:marketplace.members.create')}
        </Button>
      }
      onFinish={async (v) => {
        const body: NewMember = {
          appId: v.appId,
          type,
          bizUserId: v.bizUserId.trim(),
          name: v.name.trim(),
          ...(v.phone?.trim() ? { phone: v.phone.trim() } : {}),
          ...(v.idNo?.trim() ? { idNo: v.idNo.trim() } : {}),
          ...(enterprise && v.legalPersonName?.trim() ? { legalPersonName: v.legalPersonName.trim() } : {}),
        };
        try {
          const member = await marketplaceApi.createMember(body);
          message.success(t('merchant:marketplace.members.created', { memberNo: member.memberNo }));
          onCreated();
          return true;
        } catch (e) {
          message.error(errorText(e));
          return false;
        }
      }}
    >
      <Typography.Paragraph type="secondary">
        {t('merchant:marketplace.members.createHint')}
      </Typography.Paragraph>
      <Form.Item
        name="appId"
        label={t('merchant:marketplace.members.app')}
        rules={[{ required: true, message: t('merchant:marketplace.members.appRequired') }]}
      >
        <FieldSelect options={appOptions} loading={apps.loading} />
      </Form.Item>
      <Form.Item
        name="bizUserId"
        label={t('merchant:marketplace.members.bizUserId')}
        rules={[
          { required: true, message: t('merchant:marketplace.members.bizUserIdRequired') },
          {
            pattern: /^\s*[A-Za-z0-9_-]{1,64}\s*$/,
            message: t('merchant:marketplace.members.bizUserIdFormat'),
          },
        ]}
      >
        <Input autoComplete="off" className="qy-mono" />
      </Form.Item>
      <Form.Item
        name="name"
        label={t(
          enterprise ? 'merchant:marketplace.members.companyName' : 'merchant:marketplace.members.personName',
        )}
        rules={[
          { required: true, whitespace: true, message: t('merchant:marketplace.members.nameRequired') },
        ]}
      >
        <Input autoComplete="off" maxLength={100} />
      </Form.Item>
      {enterprise && (
        <Form.Item name="legalPersonName" label={t('merchant:marketplace.members.legalPersonName')}>
          <Input autoComplete="off" maxLength={50} />
        </Form.Item>
      )}
      <Form.Item
        name="idNo"
        label={t(
          enterprise ? 'merchant:marketplace.members.companyIdNo' : 'merchant:marketplace.members.personIdNo',
        )}
      >
        <Input autoComplete="off" className="qy-mono" maxLength={32} />
      </Form.Item>
      <Form.Item
        name="phone"
        label={t('merchant:marketplace.members.phone')}
        rules={[{ pattern: /^\s*1\d{10}\s*$/, message: t('merchant:marketplace.members.phoneFormat') }]}
      >
        <Input autoComplete="off" inputMode="tel" maxLength={11} />
      </Form.Item>
    </ModalForm>
  );
}
