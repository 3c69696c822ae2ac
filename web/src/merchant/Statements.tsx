import { DownloadOutlined, ReloadOutlined } from '@ant-design/icons';
import {
  App,
  Button,
  DatePicker,
  Flex,
  Grid,
  Space,
  Table,
  type TableColumnsType,
  Tooltip,
  Typography,
} from 'antd';
import dayjs from 'dayjs';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { qs } from '../api.ts';
import { downloadFromApi } from '../shell/download.ts';
import { ErrorAlert } from '../shell/ErrorAlert.tsx';
import { errorText } from '../shell/errors.ts';
import { yuan } from '../shell/format.ts';
import { FiguresCell } from '../shell/listTable.tsx';
import { Page } from '../shell/Page.tsx';
import { useApi } from '../shell/useApi.ts';
import { PORTAL_API } from './financeTypes.ts';
import { useSubtitle } from './useSubtitle.ts';

interface DayFigures {
  orderCount: number;
  orderAmount: number;
  orderFee: number;
  orderNet: number;
  testOrderCount: number;
  refundCount: number;
  refundAmount: number;
  settledNet: number;
  withdrawalCount: number;
  withdrawalAmount: number;
  payoutCount: number;
  payoutAmount: number;
}

interface StatementDay extends DayFigures {
  date: string;
  ready: boolean;
}

interface AccountFigures {
  account: string;
  currency: string;
  opening: number;
  change: number;
  closing: number;
}

interface MonthView {
  mchNo: string;
  month: string;
  monthReady: boolean;
  totals: DayFigures;
  accounts: AccountFigures[];
  items: StatementDay[];
}

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

/**
 * 对账单 (managers): a month's days with their figures, and each finished day's statement as txt
 * or Excel, the finished month's as Excel. The month follows the address (`?month=`); without
 * one the server answers the platform's current month.
 */
export function Statements() {
  const { t } = useTranslation();
  const app = App.useApp();
  const screens = Grid.useBreakpoint();
  const compact = !screens.md;
  const [params, setParams] = useSearchParams();
  const asked = params.get('month');
  const month = asked && MONTH.test(asked) ? asked : null;
  const { data, loading, error, reload } = useApi<MonthView>(`${PORTAL_API}/statements${qs({ month })}`);
  const [downloading, setDownloading] = useState<string | null>(null);
  const subTitle = useSubtitle(t('merchant:statements.subtitle'));

  const download = async (period: { date?: string; month?: string }, format: 'txt' | 'xlsx') => {
    const name = period.date ?? period.month!;
    const key = `${name}:${format}`;
    setDownloading(key);
    try {
      await downloadFromApi(
        `${PORTAL_API}/statements/file${qs({ ...period, format })}`,
        `statement-${data?.mchNo ?? ''}-${name}.${format}`,
      );
    } catch (e) {
      app.message.error(errorText(e));
    } finally {
      setDownloading(null);
    }
  };

  const days = [...(data?.items ?? [])].reverse();
  const notReady = t('merchant:statements.dayNotReady');

  const columns: TableColumnsType<StatementDay> = [
    {
      title: t('merchant:statements.date'),
      dataIndex: 'date',
      width: compact ? undefined : 120,
      // On a phone the month is in the picker above: the day's MM-DD is enough.
      render: (date: string) => (
        <Typography.Text strong className="qy-mono" style={{ whiteSpace: 'nowrap' }}>
          {compact ? date.slice(5) : date}
        </Typography.Text>
      ),
    },
    {
      title: t('merchant:statements.collected'),
      key: 'collected',
      align: 'right',
      width: compact ? undefined : 190,
      render: (_, row) => (
        <FiguresCell
          main={yuan(row.orderAmount)}
          figures={[
            { label: t('merchant:statements.count'), value: String(row.orderCount) },
            !compact && { label: t('glossary:fee'), value: yuan(row.orderFee) },
          ]}
        />
      ),
    },
    ...(compact
      ? []
      : ([
          {
            title: t('glossary:refund'),
            key: 'refunds',
            align: 'right',
            width: 150,
            render: (_, row) => (
              <FiguresCell
                main={yuan(row.refundAmount)}
                figures={[{ label: t('merchant:statements.count'), value: String(row.refundCount) }]}
              />
            ),
          },
          {
            title: t('glossary:settlement'),
            key: 'settled',
            align: 'right',
            width: 140,
            render: (_, row) => yuan(row.settledNet),
          },
          {
            title: t('merchant:statements.withdrawnPaidOut'),
            key: 'withdrawn',
            align: 'right',
            width: 170,
            render: (_, row) => (
              <FiguresCell
                main={yuan(row.withdrawalAmount)}
                figures={[
                  row.payoutAmount > 0 && { label: t('glossary:payout'), value: yuan(row.payoutAmount) },
                ]}
              />
            ),
          },
        ] satisfies TableColumnsType<StatementDay>)),
    {
      title: t('merchant:statements.download'),
      key: 'download',
      width: compact ? undefined : 220,
      render: (_, row) => {
        const buttons = (['txt', 'xlsx'] as const).map((format) => (
          <Button
            key={format}
            size="small"
            icon={<DownloadOutlined />}
            disabled={!row.ready}
            loading={downloading === `${row.date}:${format}`}
            onClick={() => void download({ date: row.date }, format)}
            aria-label={t(`merchant:statements.downloadDay.${format}`, { date: row.date })}
            data-testid={`statement-${row.date}-${format}`}
          >
            {t(`merchant:statements.format.${format}`)}
          </Button>
        ));
        return row.ready ? (
          <Space size={4} wrap>
            {buttons}
          </Space>
        ) : (
          <Tooltip title={notReady}>
            <Space size={4} wrap>
              {buttons}
            </Space>
          </Tooltip>
        );
      },
    },
  ];

  const totals = data?.totals;
  return (
    <Page
      title={t('merchant:statements.title')}
      subTitle={subTitle}
      extra={
        <Space wrap>
          <DatePicker
            picker="month"
            allowClear={false}
            value={data ? dayjs(`${data.month}-01`) : undefined}
            disabledDate={(d) => d.isAfter(dayjs(), 'month')}
            onChange={(d) => d && setParams({ month: d.format('YYYY-MM') })}
            aria-label={t('merchant:statements.month')}
            data-testid="statement-month"
          />
          <Button icon={<ReloadOutlined />} onClick={() => void reload()} loading={loading && !!data}>
            {t('actions.refresh')}
          </Button>
          {data && (
            <Tooltip title={data.monthReady ? undefined : t('merchant:statements.monthNotReady')}>
              <Button
                type="primary"
                icon={<DownloadOutlined />}
                disabled={!data.monthReady}
                loading={downloading === `${data.month}:xlsx`}
                onClick={() => void download({ month: data.month }, 'xlsx')}
                data-testid="statement-month-xlsx"
              >
                {t('merchant:statements.downloadMonth')}
              </Button>
            </Tooltip>
          )}
        </Space>
      }
    >
      {error ? <ErrorAlert error={error} style={{ marginBottom: 16 }} /> : null}
      {totals && (
        <Flex wrap gap={compact ? 8 : 24} style={{ marginBottom: 12 }} data-testid="statement-totals">
          <Typography.Text>
            {t('merchant:statements.totals.collected', {
              count: totals.orderCount,
              amount: yuan(totals.orderAmount),
            })}
          </Typography.Text>
          <Typography.Text>
            {t('merchant:statements.totals.fee', { amount: yuan(totals.orderFee) })}
          </Typography.Text>
          <Typography.Text>
            {t('merchant:statements.totals.refunds', {
              count: totals.refundCount,
              amount: yuan(totals.refundAmount),
            })}
          </Typography.Text>
          <Typography.Text>
            {t('merchant:statements.totals.settled', { amount: yuan(totals.settledNet) })}
          </Typography.Text>
          <Typography.Text>
            {t('merchant:statements.totals.withdrawn', { amount: yuan(totals.withdrawalAmount) })}
          </Typography.Text>
        </Flex>
      )}
      {data && data.accounts.length > 0 && (
        <Flex wrap gap={compact ? 8 : 24} style={{ marginBottom: 12 }} data-testid="statement-accounts">
          {data.accounts.map((a) => (
            <Typography.Text type="secondary" key={`${a.account}:${a.currency}`}>
              {t('merchant:statements.accountLine', {
                account: t(`glossary:balance.${a.account}`),
                opening: yuan(a.opening, a.currency),
                closing: yuan(a.closing, a.currency),
              })}
            </Typography.Text>
          ))}
        </Flex>
      )}
      <div data-testid="statement-table">
        <Table<StatementDay>
          rowKey="date"
          columns={columns}
          dataSource={days}
          loading={loading && !data}
          pagination={false}
          size="small"
          scroll={compact ? undefined : { x: 990 }}
          locale={{ emptyText: t('merchant:statements.empty') }}
        />
      </div>
      <Typography.Paragraph type="secondary" style={{ marginTop: 12, fontSize: 12 }}>
        {t('merchant:statements.note')}
      </Typography.Paragraph>
    </Page>
  );
}
