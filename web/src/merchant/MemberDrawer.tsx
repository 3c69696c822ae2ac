import { DownloadOutlined, LeftOutlined, RightOutlined } from '@ant-design/icons';
import {
  App,
  Button,
  Card,
  Col,
  DatePicker,
  Descriptions,
  Drawer,
  Empty,
  Flex,
  Grid,
  List,
  Row,
  Skeleton,
  Space,
  Statistic,
  Table,
  Tabs,
  Tag,
  Typography,
} from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ErrorAlert } from '../shell/ErrorAlert.tsx';
import { errorText } from '../shell/errors.ts';
import { signedTone, signedYuan } from '../shell/financeFormat.ts';
import { dateTime, yuan } from '../shell/format.ts';
import { ServerExportButton } from '../shell/ServerExportButton.tsx';
import { useApi } from '../shell/useApi.ts';
import { MemberWithdrawSetting } from './MemberWithdrawSetting.tsx';
import {
  type MemberDetail,
  type MemberEntry,
  type MemberStateChange,
  type MemberView,
  marketplaceApi,
} from './marketplaceApi.ts';
import { entryWord, MemberStateTag, marketWord } from './marketplaceTags.tsx';

/**
 * A member's detail (会员详情), by its number: balances of its three accounts, its details, bank
 * cards and signed agreements (each downloadable), its withdrawal setting, its account entries between two dates with
 * their export, and the manager's freeze / unfreeze / close, each confirmed first.
 */
export function MemberDrawer({
  memberNo,
  onClose,
  onChanged,
}: {
  memberNo: string | null;
  onClose: () => void;
  onChanged: () => void;
}) {
  const { t } = useTranslation();
  const screens = Grid.useBreakpoint();
  const { data, loading, error, reload } = useApi<MemberDetail>(
    memberNo ? marketplaceApi.memberPath(memberNo) : null,
  );
  const detail = data && data.member.memberNo === memberNo ? data : undefined;
  return (
    <Drawer
      open={memberNo !== null}
      onClose={onClose}
      width={screens.md ? 760 : '100%'}
      title={t('merchant:marketplace.memberDrawer.title')}
      destroyOnHidden
    >
      <div data-testid="member-detail">
        <ErrorAlert error={error} />
        {!detail && loading && <Skeleton active paragraph={{ rows: 8 }} />}
        {detail && (
          <>
            <MemberHeader
              member={detail.member}
              onChanged={() => {
                void reload();
                onChanged();
              }}
            />
            <Tabs
              items={[
                {
                  key: 'overview',
                  label: t('merchant:marketplace.memberDrawer.basics'),
                  children: <Overview detail={detail} onChanged={() => void reload()} />,
                },
                {
                  key: 'entries',
                  label: t('merchant:marketplace.memberDrawer.entries'),
                  children: <MemberEntries memberNo={detail.member.memberNo} />,
                },
              ]}
            />
          </>
        )}
      </div>
    </Drawer>
  );
}

/** The member's name, type and state, with the state changes it allows. */
function MemberHeader({ member, onChanged }: { member: MemberView; onChanged: () => void }) {
  const { t } = useTranslation();
  const { modal, message } = App.useApp();
  const change = (state: MemberStateChange) => {
    const verb = { frozen: 'freeze', active: 'unfreeze', closed: 'close' }[state];
    modal.confirm({
      title: t(`merchant:marketplace.memberDrawer.${verb}`),
      content: t(`merchant:marketplace.memberDrawer.${verb}Confirm`, {
        name: member.name,
        memberNo: member.memberNo,
      }),
      okText: t(`merchant:marketplace.memberDrawer.${verb}`),
      okButtonProps: { danger: state !== 'active' },
      cancelText: t('actions.cancel'),
      onOk: async () => {
        try {
          await marketplaceApi.setMemberState(member.memberNo, state);
          message.success(t(`merchant:marketplace.memberDrawer.${state}Done`));
          onChanged();
        } catch (e) {
          message.error(errorText(e));
        }
      },
    });
  };
  const open = member.state !== 'closed';
  return (
    <Flex align="center" justify="space-between" wrap gap={12} style={{ marginBottom: 12 }}>
      <Space direction="vertical" size={2}>
        <Space wrap>
          <Typography.Text strong style={{ fontSize: 18 }}>
            {member.name}
          </Typography.Text>
          <MemberStateTag state={member.state} />
        </Space>
        <Typography.Text type="secondary" className="qy-mono" copyable={{ text: member.memberNo }}>
          {member.memberNo}
        </Typography.Text>
      </Space>
      {open && (
        <Space wrap data-testid="member-state-actions">
          {member.state === 'frozen' ? (
            <Button onClick={() => change('active')}>
              {t('merchant:marketplace.memberDrawer.unfreeze')}
            </Button>
          ) : (
            <Button onClick={() => change('frozen')}>{t('merchant:marketplace.memberDrawer.freeze')}</Button>
          )}
          <Button danger onClick={() => change('closed')}>
            {t('merchant:marketplace.memberDrawer.close')}
          </Button>
        </Space>
      )}
    </Flex>
  );
}

function Overview({ detail, onChanged }: { detail: MemberDetail; onChanged: () => void }) {
  const { t } = useTranslation();
  const m = detail.member;
  const enterprise = m.type === 'enterprise';
  return (
    <Space direction="vertical" size={16} style={{ width: '100%' }}>
      <Row gutter={[12, 12]} data-testid="member-balances">
        {(['available', 'pending', 'frozen'] as const).map((account) => (
          <Col xs={24} sm={8} key={account}>
            <Card size="small">
              <Statistic
                title={t(`merchant:marketplace.account.${account}`)}
                value={yuan(detail.balances[account])}
                valueStyle={{ fontSize: 20 }}
              />
            </Card>
          </Col>
        ))}
      </Row>
      <Descriptions bordered size="small" column={1} styles={{ label: { width: 150 } }}>
        <Descriptions.Item label={t('merchant:marketplace.members.bizUserId')}>
          <span className="qy-mono">{m.bizUserId}</span>
        </Descriptions.Item>
        <Descriptions.Item label={t('merchant:marketplace.members.member')}>
          {marketWord('memberType', m.type)}
        </Descriptions.Item>
        {enterprise && (
          <Descriptions.Item label={t('merchant:marketplace.members.legalPersonName')}>
            {m.legalPersonName ?? '-'}
          </Descriptions.Item>
        )}
        <Descriptions.Item
          label={t(
            enterprise
              ? 'merchant:marketplace.members.companyIdNo'
              : 'merchant:marketplace.members.personIdNo',
          )}
        >
          <span className="qy-mono">{m.idNoMasked ?? '-'}</span>
        </Descriptions.Item>
        <Descriptions.Item label={t('merchant:marketplace.members.phone')}>
          <span className="qy-mono">{m.phoneMasked ?? '-'}</span>
        </Descriptions.Item>
        <Descriptions.Item label={t('merchant:marketplace.members.realName')}>
          {t(
            m.realNameVerified
              ? 'merchant:marketplace.members.verified'
              : 'merchant:marketplace.members.unverified',
          )}
        </Descriptions.Item>
        <Descriptions.Item label={t('merchant:marketplace.members.source')}>
          {marketWord('memberSource', m.source)}
        </Descriptions.Item>
        <Descriptions.Item label={t('merchant:marketplace.members.createdAt')}>
          {dateTime(m.createdAt)}
        </Descriptions.Item>
      </Descriptions>
      <Card size="small" title={t('merchant:marketplace.memberDrawer.cards')} data-testid="member-cards">
        {detail.cards.length === 0 ? (
          <Empty
            image={Empty.PRESENTED_IMAGE_SIMPLE}
            description={t('merchant:marketplace.memberDrawer.noCards')}
          />
        ) : (
          <List
            size="small"
            dataSource={detail.cards}
            renderItem={(card) => (
              <List.Item key={card.id}>
                <Flex justify="space-between" wrap gap={8} style={{ width: '100%' }}>
                  <Space direction="vertical" size={0}>
                    <span>
                      {card.bankName} <span className="qy-mono">{card.accountNoMasked}</span>
                    </span>
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      {card.holderName} ·{' '}
                      {t(`glossary:cardType.${card.cardType}`, { defaultValue: card.cardType })}
                    </Typography.Text>
                  </Space>
                  <Space size={4}>
                    {card.isDefault && (
                      <Tag color="blue">{t('merchant:marketplace.memberDrawer.defaultCard')}</Tag>
                    )}
                    <Tag>{t(`merchant:bankCards.stateWord.${card.state}`, { defaultValue: card.state })}</Tag>
                  </Space>
                </Flex>
              </List.Item>
            )}
          />
        )}
      </Card>
      <Card
        size="small"
        title={t('merchant:marketplace.memberDrawer.agreements')}
        data-testid="member-agreements"
      >
        {detail.agreements.length === 0 ? (
          <Empty
            image={Empty.PRESENTED_IMAGE_SIMPLE}
            description={t('merchant:marketplace.memberDrawer.noAgreements')}
          />
        ) : (
          <List
            size="small"
            dataSource={detail.agreements}
            renderItem={(a) => (
              <List.Item
                key={a.id}
                actions={[
                  <Button
                    key="document"
                    type="link"
                    size="small"
                    icon={<DownloadOutlined />}
                    href={marketplaceApi.agreementDocumentPath(m.memberNo, a.id)}
                    download
                  >
                    {t('merchant:marketplace.memberDrawer.document')}
                  </Button>,
                ]}
              >
                <Space direction="vertical" size={0}>
                  <span>
                    {marketWord('agreementKind', a.kind)}{' '}
                    <Typography.Text type="secondary">{a.version}</Typography.Text>
                  </span>
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {marketWord('signedVia', a.signedVia)} · {dateTime(a.signedAt)}
                  </Typography.Text>
                </Space>
              </List.Item>
            )}
          />
        )}
      </Card>
      <MemberWithdrawSetting memberNo={m.memberNo} setting={detail.withdrawSetting} onSaved={onChanged} />
    </Space>
  );
}

/** The longest date range the entries ask for at once (the seed's 账户明细: a date range). */
const DEFAULT_DAYS = 30;

/** 账户明细: the member's postings between two dates, paged forward, with their export. */
function MemberEntries({ memberNo }: { memberNo: string }) {
  const { t } = useTranslation();
  const screens = Grid.useBreakpoint();
  const [range, setRange] = useState<[Dayjs, Dayjs]>(() => [
    dayjs().subtract(DEFAULT_DAYS - 1, 'day'),
    dayjs(),
  ]);
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [page, setPage] = useState<{ items: MemberEntry[]; nextCursor: string | null } | null>(null);
  const [error, setError] = useState<unknown>(undefined);
  const [loading, setLoading] = useState(false);
  const sequence = useRef(0);
  const filters = { from: range[0].format('YYYY-MM-DD'), to: range[1].format('YYYY-MM-DD') };
  const cursor = cursors[cursors.length - 1];

  const load = useCallback(async () => {
    const mine = ++sequence.current;
    setLoading(true);
    try {
      const answer = await marketplaceApi.memberEntries(
        memberNo,
        { from: filters.from, to: filters.to },
        cursor,
      );
      if (mine === sequence.current) {
        setPage(answer);
        setError(undefined);
      }
    } catch (e) {
      if (mine === sequence.current) setError(e);
    } finally {
      if (mine === sequence.current) setLoading(false);
    }
  }, [memberNo, filters.from, filters.to, cursor]);
  useEffect(() => {
    void load();
  }, [load]);

  return (
    <Space direction="vertical" size={12} style={{ width: '100%' }} data-testid="member-entries">
      <Typography.Text type="secondary">{t('merchant:marketplace.memberDrawer.entriesHint')}</Typography.Text>
      <Flex gap={8} wrap justify="space-between">
        <DatePicker.RangePicker
          value={range}
          allowClear={false}
          aria-label={t('merchant:marketplace.memberDrawer.entriesRange')}
          disabledDate={(d) => d.isAfter(dayjs(), 'day')}
          onChange={(value) => {
            if (value?.[0] && value[1]) {
              setRange([value[0], value[1]]);
              setCursors([undefined]);
            }
          }}
        />
        <ServerExportButton
          path={marketplaceApi.memberEntriesExportPath(memberNo)}
          params={() => filters}
          testId="member-entries-export"
        />
      </Flex>
      <ErrorAlert error={error} />
      <Table<MemberEntry>
        rowKey="id"
        size="small"
        loading={loading}
        pagination={false}
        dataSource={page?.items ?? []}
        locale={{
          emptyText: (
            <Empty
              image={Empty.PRESENTED_IMAGE_SIMPLE}
              description={t('merchant:marketplace.memberDrawer.noEntries')}
            />
          ),
        }}
        scroll={screens.md ? undefined : { x: 650 }}
        columns={[
          {
            title: t('merchant:marketplace.memberDrawer.entryKind'),
            key: 'kind',
            render: (_, row) => (
              <Space direction="vertical" size={0}>
                <span>{entryWord(row.type)}</span>
                {row.reference && (
                  <Typography.Text
                    type="secondary"
                    className="qy-mono"
                    style={{ fontSize: 12 }}
                    title={t('merchant:marketplace.memberDrawer.entryReference')}
                  >
                    {row.reference}
                  </Typography.Text>
                )}
                <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                  {dateTime(row.at)}
                </Typography.Text>
              </Space>
            ),
          },
          {
            title: t('merchant:marketplace.memberDrawer.entryAccount'),
            key: 'account',
            width: 120,
            render: (_, row) => marketWord('account', row.account),
          },
          {
            title: t('merchant:marketplace.memberDrawer.entryAmount'),
            key: 'amount',
            align: 'right',
            width: 140,
            render: (_, row) => (
              <Typography.Text strong type={signedTone(row.amount)} data-cell="amount">
                {signedYuan(row.amount)}
              </Typography.Text>
            ),
          },
          {
            title: t('merchant:marketplace.memberDrawer.entryBalanceAfter'),
            key: 'balanceAfter',
            align: 'right',
            width: 130,
            render: (_, row) => <span data-cell="balanceAfter">{yuan(row.balanceAfter)}</span>,
          },
        ]}
      />
      <Flex justify="flex-end" gap={8}>
        <Button
          icon={<LeftOutlined />}
          disabled={cursors.length <= 1}
          onClick={() => setCursors((c) => c.slice(0, -1))}
          data-testid="entries-previous"
        >
          {t('pager.previous')}
        </Button>
        <Button
          disabled={!page?.nextCursor}
          onClick={() => page?.nextCursor && setCursors((c) => [...c, page.nextCursor ?? undefined])}
          data-testid="entries-next"
        >
          {t('pager.next')}
          <RightOutlined />
        </Button>
      </Flex>
    </Space>
  );
}
