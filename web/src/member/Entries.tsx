import { Button, Card, DatePicker, Descriptions, Drawer, Flex, Grid, Table, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import dayjs, { type Dayjs } from 'dayjs';
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api.ts';
import { ErrorAlert } from '../shell/ErrorAlert.tsx';
import { glossaryWord, signedYuan } from '../shell/financeFormat.ts';
import { dateTime, yuan } from '../shell/format.ts';
import { Page } from '../shell/Page.tsx';
import { ServerExportButton } from '../shell/ServerExportButton.tsx';

interface Entry {
  id: string;
  at: string;
  account: 'pending' | 'available' | 'frozen';
  type: string;
  reference: string;
  amount: number;
  balanceAfter: number;
}

const PAGE_SIZE = 50;

/**
 * 账户明细 (seed 001 §2.4): every movement of the member's accounts in a date range (the last 30
 * days at first), newest first, 50 at a time; 查看详情 opens the entry; 导出 downloads the range
 * (at most 10 000 rows, the server says so beyond).
 */
export function MemberEntriesPage() {
  const { t } = useTranslation();
  const screens = Grid.useBreakpoint();
  const [range, setRange] = useState<[Dayjs, Dayjs]>([dayjs().subtract(29, 'day'), dayjs()]);
  const [items, setItems] = useState<Entry[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [open, setOpen] = useState<Entry | null>(null);

  const params = useCallback(
    () => ({ from: range[0].format('YYYY-MM-DD'), to: range[1].format('YYYY-MM-DD') }),
    [range],
  );
  const load = useCallback(
    async (cursor: string | null) => {
      setLoading(true);
      setError(null);
      try {
        const query = new URLSearchParams({ ...params(), pageSize: String(PAGE_SIZE) });
        if (cursor) query.set('cursor', cursor);
        const page = await api.get<{ items: Entry[]; nextCursor: string | null }>(
          `/api/member/entries?${query.toString()}`,
        );
        setItems((before) => (cursor ? [...before, ...page.items] : page.items));
        setNext(page.nextCursor);
      } catch (e) {
        setError(e);
      } finally {
        setLoading(false);
      }
    },
    [params],
  );
  useEffect(() => {
    void load(null);
  }, [load]);

  const columns: ColumnsType<Entry> = [
    { title: t('member:entries.at'), dataIndex: 'at', render: (at: string) => dateTime(at), width: 170 },
    {
      title: t('member:entries.type'),
      dataIndex: 'type',
      render: (type: string) => glossaryWord('entryType', type),
    },
    {
      title: t('member:entries.account'),
      dataIndex: 'account',
      render: (account: Entry['account']) => t(`member:entries.accountWord.${account}`),
      responsive: ['md'],
    },
    {
      title: t('member:entries.amount'),
      dataIndex: 'amount',
      align: 'right',
      render: (amount: number) => (
        <Typography.Text type={amount < 0 ? 'danger' : 'success'}>{signedYuan(amount)}</Typography.Text>
      ),
    },
    {
      title: t('member:entries.balanceAfter'),
      dataIndex: 'balanceAfter',
      align: 'right',
      render: (value: number) => yuan(value),
      responsive: ['sm'],
    },
    {
      title: t('member:entries.reference'),
      dataIndex: 'reference',
      responsive: ['lg'],
      render: (reference: string) => <Typography.Text copyable>{reference}</Typography.Text>,
    },
    {
      title: t('member:entries.detail'),
      key: 'detail',
      render: (_, row) => (
        <Button type="link" size="small" style={{ padding: 0 }} onClick={() => setOpen(row)}>
          {t('member:entries.detail')}
        </Button>
      ),
    },
  ];

  return (
    <Page title={t('member:entries.title')} subTitle={screens.md ? t('member:entries.subtitle') : undefined}>
      <Card>
        <Flex wrap gap={12} align="center" justify="space-between" style={{ marginBottom: 16 }}>
          <Flex wrap gap={8} align="center">
            <Typography.Text>{t('member:entries.range')}</Typography.Text>
            <DatePicker.RangePicker
              value={range}
              allowClear={false}
              data-testid="entries-range"
              onChange={(value) => {
                if (value?.[0] && value[1]) setRange([value[0], value[1]]);
              }}
            />
          </Flex>
          <Flex gap={8} align="center">
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t('member:entries.exportHint')}
            </Typography.Text>
            <ServerExportButton path="/api/member/entries/export" params={params} testId="entries-export" />
          </Flex>
        </Flex>
        <ErrorAlert error={error} />
        <Table<Entry>
          rowKey="id"
          size="middle"
          columns={columns}
          dataSource={items}
          loading={loading}
          pagination={false}
          scroll={{ x: 'max-content' }}
          locale={{ emptyText: t('member:entries.empty') }}
          data-testid="entries-table"
        />
        {next && (
          <Flex justify="center" style={{ marginTop: 16 }}>
            <Button onClick={() => void load(next)} loading={loading}>
              {t('member:entries.more')}
            </Button>
          </Flex>
        )}
      </Card>
      <Drawer
        open={open !== null}
        onClose={() => setOpen(null)}
        title={t('member:entries.detailTitle')}
        width={screens.md ? 480 : '100%'}
      >
        {open && (
          <Descriptions column={1} size="small" data-testid="entry-detail">
            <Descriptions.Item label={t('member:entries.id')}>{open.id}</Descriptions.Item>
            <Descriptions.Item label={t('member:entries.at')}>{dateTime(open.at)}</Descriptions.Item>
            <Descriptions.Item label={t('member:entries.type')}>
              {glossaryWord('entryType', open.type)}
            </Descriptions.Item>
            <Descriptions.Item label={t('member:entries.account')}>
              {t(`member:entries.accountWord.${open.account}`)}
            </Descriptions.Item>
            <Descriptions.Item label={t('member:entries.amount')}>
              {signedYuan(open.amount)}
            </Descriptions.Item>
            <Descriptions.Item label={t('member:entries.balanceAfter')}>
              {yuan(open.balanceAfter)}
            </Descriptions.Item>
            <Descriptions.Item label={t('member:entries.reference')}>
              <Typography.Text copyable>{open.reference}</Typography.Text>
            </Descriptions.Item>
          </Descriptions>
        )}
      </Drawer>
    </Page>
  );
}
