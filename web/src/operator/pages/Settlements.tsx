import { ThunderboltOutlined } from '@ant-design/icons';
import { type ActionType, type ProColumns, ProTable } from '@ant-design/pro-components';
import { App, Button, Descriptions, Popconfirm, Typography } from 'antd';
import { useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api } from '../../api.ts';
import { errorText } from '../../shell/errors.ts';
import { dateTime, yuan } from '../../shell/format.ts';
import { dayRangeSearch, FiguresCell, remembered, widthOf } from '../../shell/listTable.tsx';
import { Page } from '../../shell/Page.tsx';
import { useCan } from '../../shell/session.tsx';
import { TwoLineCell } from '../../shell/TwoLineCell.tsx';
import { useRequestError } from '../../shell/useRequestError.ts';
import { searchMerchants } from '../components.tsx';
import { fetchFinancePage, SettlementModeTag } from '../finance.tsx';

interface SettlementRecord {
  date: string;
  mchNo: string;
  merchantName: string;
  mode: string;
  orderCount: number;
  gross: number;
  fee: number;
  refunds: number;
  net: number;
  reserve: number;
  reserveReleased: number;
  settledAt: string | null;
}

/** 结算记录: what each merchant's day settled; 立即结算 runs the settle job now and says what it did. */
export function SettlementsPage() {
  const { t } = useTranslation(['operator', 'common']);
  const onRequestError = useRequestError();
  const can = useCan();
  const actionRef = useRef<ActionType>(null);

  const columns: ProColumns<SettlementRecord>[] = [
    {
      title: t('settlements.date'),
      dataIndex: 'date',
      search: false,
      fixed: 'left',
      width: 130,
      render: (_, r) => (
        <TwoLineCell time={r.settledAt} timeTip={t('settlements.settledAt')}>
          <Typography.Text strong className="qy-mono">
            {r.date}
          </Typography.Text>
        </TwoLineCell>
      ),
    },
    {
      title: t('glossary:merchant'),
      dataIndex: 'mchNo',
      valueType: 'select',
      fieldProps: { showSearch: true, filterOption: false },
      debounceTime: 300,
      request: async ({ keyWords }) => searchMerchants(keyWords),
      width: 200,
      render: (_, r) => (
        <TwoLineCell secondary={r.mchNo}>
          <Link to={`/operator/merchants/${encodeURIComponent(r.mchNo)}?tab=settlement`}>
            <Typography.Text
              ellipsis={{ tooltip: r.merchantName }}
              style={{ maxWidth: 188, color: 'inherit' }}
            >
              {r.merchantName || r.mchNo}
            </Typography.Text>
          </Link>
        </TwoLineCell>
      ),
    },
    {
      title: t('settlements.mode'),
      dataIndex: 'mode',
      search: false,
      width: 120,
      render: (_, r) => <SettlementModeTag mode={r.mode} />,
    },
    {
      title: t('settlements.orders'),
      dataIndex: 'gross',
      search: false,
      align: 'right',
      width: 180,
      render: (_, r) => (
        <FiguresCell
          main={yuan(r.gross)}
          figures={[
            { label: t('settlements.orderCount'), value: r.orderCount },
            { label: t('glossary:fee'), value: yuan(r.fee) },
            r.refunds !== 0 && { label: t('glossary:refund'), value: yuan(r.refunds) },
          ]}
        />
      ),
    },
    {
      title: t('settlements.net'),
      dataIndex: 'net',
      search: false,
      align: 'right',
      width: 180,
      render: (_, r) => (
        <FiguresCell
          main={yuan(r.net)}
          figures={[
            r.reserve !== 0 && { label: t('glossary:balance.reserved'), value: yuan(r.reserve) },
            r.reserveReleased !== 0 && {
              label: t('settlements.reserveReleased'),
              value: yuan(r.reserveReleased),
            },
          ]}
        />
      ),
    },
    dayRangeSearch(t('settlements.date'), 'range'),
  ];

  return (
    <Page
      title={t('settlements.title')}
      subTitle={t('settlements.subtitle')}
      extra={can('finance.configure') ? <RunNow onDone={() => actionRef.current?.reload()} /> : undefined}
    >
      <div data-testid="settlement-table">
        <ProTable<SettlementRecord>
          rowKey={(r) => `${r.mchNo}-${r.date}`}
          actionRef={actionRef}
          columns={columns}
          cardBordered
          scroll={{ x: widthOf(columns) }}
          columnsState={remembered('operator.settlements')}
          size="middle"
          search={{
            labelWidth: 'auto',
            defaultCollapsed: false,
            span: { xs: 24, sm: 12, md: 8, lg: 8, xl: 6, xxl: 6 },
          }}
          pagination={{ defaultPageSize: 20, showSizeChanger: true, pageSizeOptions: [20, 50, 100] }}
          options={{ density: true, setting: true, reload: true, fullScreen: true }}
          onRequestError={onRequestError}
          request={(p) =>
            fetchFinancePage<SettlementRecord>(
              '/api/admin/settlements',
              { mchNo: p.mchNo, from: p.from, to: p.to },
              p,
            )
          }
        />
      </div>
    </Page>
  );
}

/** What a run did (the settle job's summary): the day, how many merchants and orders, and the money moved. */
const RUN_COUNTS = ['merchants', 'orders', 'postings'] as const;
const RUN_AMOUNTS = ['settled', 'reserveHeld', 'reserveReleased', 'testSettled', 'directSettled'] as const;

function RunAnswer({ answer }: { answer: Record<string, unknown> }) {
  const { t } = useTranslation(['operator', 'common']);
  const amount = (v: unknown) => (v === undefined || v === null ? '-' : yuan(Number(v)));
  return (
    <Descriptions size="small" column={1} bordered data-testid="settlement-run-answer">
      <Descriptions.Item label={t('settlements.run.day')}>{String(answer.day ?? '-')}</Descriptions.Item>
      {RUN_COUNTS.map((key) => (
        <Descriptions.Item key={key} label={t(`settlements.run.${key}`)}>
          {String(answer[key] ?? 0)}
        </Descriptions.Item>
      ))}
      {RUN_AMOUNTS.map((key) => (
        <Descriptions.Item key={key} label={t(`settlements.run.${key}`)}>
          {amount(answer[key])}
        </Descriptions.Item>
      ))}
    </Descriptions>
  );
}

function RunNow({ onDone }: { onDone: () => void }) {
  const { t } = useTranslation(['operator', 'common']);
  const { modal, message } = App.useApp();
  const [busy, setBusy] = useState(false);
  return (
    <Popconfirm
      title={t('settlements.runConfirm')}
      description={t('settlements.runHint')}
      onConfirm={async () => {
        setBusy(true);
        try {
          const answer = await api.post<Record<string, unknown>>('/api/admin/settlement/run');
          onDone();
          modal.success({
            title: t('settlements.ranAt', { time: dateTime(new Date().toISOString()) }),
            width: 480,
            content: <RunAnswer answer={answer ?? {}} />,
          });
        } catch (e) {
          message.error(errorText(e));
        } finally {
          setBusy(false);
        }
      }}
    >
      <Button type="primary" icon={<ThunderboltOutlined />} loading={busy}>
        {t('settlements.runNow')}
      </Button>
    </Popconfirm>
  );
}
