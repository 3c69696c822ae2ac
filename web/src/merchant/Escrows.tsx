import { type ActionType, ModalForm, type ProColumns, ProTable } from '@ant-design/pro-components';
import {
  App,
  Card,
  Descriptions,
  Drawer,
  Empty,
  Flex,
  Form,
  Grid,
  Input,
  List,
  Space,
  Tag,
  Typography,
} from 'antd';
import { useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { errorText } from '../shell/errors.ts';
import { dateTime, parseYuan, yuan } from '../shell/format.ts';
import { amountProblem } from '../shell/forms.ts';
import { FiguresCell, RowAction, remembered, widthOf } from '../shell/listTable.tsx';
import { Page } from '../shell/Page.tsx';
import { openableRow } from '../shell/rowClick.ts';
import { TwoLineCell } from '../shell/TwoLineCell.tsx';
import { ESCROW_STATES, type EscrowView, marketplaceApi } from './marketplaceApi.ts';
import { useForwardPager } from './marketplacePager.tsx';
import { EscrowStateTag, marketWord, SplitEndCell } from './marketplaceTags.tsx';
import { useSubtitle } from './useSubtitle.ts';

interface EscrowQuery {
  state?: string;
}

/**
 * 担保交易 (MON-8): orders paid into escrow, what of each is still held, confirmed and refunded, and
 * when it confirms itself; the manager confirms all or part of what is held (确认收货), and a row
 * opens its confirmations with the splits each made (担保消费关联查询).
 */
export function Escrows() {
  const { t } = useTranslation();
  const screens = Grid.useBreakpoint();
  const compact = !screens.md;
  const actionRef = useRef<ActionType>(null);
  const { load, pager } = useForwardPager(actionRef);
  const [opened, setOpened] = useState<EscrowView | null>(null);
  const [confirming, setConfirming] = useState<EscrowView | null>(null);

  const figures = (row: EscrowView) => [
    { label: t('merchant:marketplace.escrows.held'), value: yuan(row.held) },
    row.released > 0 && { label: t('merchant:marketplace.escrows.released'), value: yuan(row.released) },
    row.refunded > 0 && { label: t('merchant:marketplace.escrows.refunded'), value: yuan(row.refunded) },
  ];
  const actions = (row: EscrowView) => (
    <Space size={12}>
      {row.held > 0 && (
        <RowAction type="link" onClick={() => setConfirming(row)} data-testid="escrow-confirm">
          {t('merchant:marketplace.escrows.confirm')}
        </RowAction>
      )}
      <RowAction onClick={() => setOpened(row)}>{t('merchant:marketplace.escrows.detail')}</RowAction>
    </Space>
  );

  const columns: ProColumns<EscrowView>[] = [
    {
      title: t('merchant:marketplace.escrows.escrow'),
      key: 'compact',
      hideInSearch: true,
      hideInTable: !compact,
      render: (_, row) => (
        <Space direction="vertical" size={2} style={{ width: '100%' }}>
          <Flex justify="space-between" align="center" gap={8}>
            <Typography.Text strong style={{ fontSize: 16 }}>
              {yuan(row.amount)}
            </Typography.Text>
            <EscrowStateTag state={row.state} />
          </Flex>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {t('merchant:marketplace.escrows.held')} {yuan(row.held)}
            {row.autoConfirmAt
              ? ` · ${t('merchant:marketplace.escrows.autoConfirmAt')} ${dateTime(row.autoConfirmAt)}`
              : ''}
          </Typography.Text>
          <Typography.Text type="secondary" className="qy-mono" style={{ fontSize: 12 }}>
            {row.orderNo}
          </Typography.Text>
          {actions(row)}
        </Space>
      ),
    },
    {
      title: t('glossary:orderNo'),
      dataIndex: 'orderNo',
      hideInSearch: true,
      hideInTable: compact,
      width: 230,
      render: (_, row) => (
        <TwoLineCell>
          <RowAction className="qy-mono" onClick={() => setOpened(row)}>
            {row.orderNo}
          </RowAction>
        </TwoLineCell>
      ),
    },
    {
      title: t('merchant:marketplace.escrows.amount'),
      dataIndex: 'amount',
      hideInSearch: true,
      hideInTable: compact,
      align: 'right',
      width: 180,
      render: (_, row) => <FiguresCell main={yuan(row.amount)} figures={figures(row)} />,
    },
    {
      title: t('merchant:marketplace.escrows.state'),
      dataIndex: 'state',
      hideInTable: compact,
      width: 130,
      valueType: 'select',
      valueEnum: Object.fromEntries(
        ESCROW_STATES.map((s) => [s, { text: marketWord('escrows.stateWord', s) }]),
      ),
      render: (_, row) => <EscrowStateTag state={row.state} />,
    },
    {
      title: t('merchant:marketplace.escrows.autoConfirmAt'),
      dataIndex: 'autoConfirmAt',
      hideInSearch: true,
      hideInTable: compact,
      width: 170,
      render: (_, row) => dateTime(row.autoConfirmAt),
    },
    {
      title: t('merchant:marketplace.escrows.actions'),
      key: 'actions',
      valueType: 'option',
      hideInTable: compact,
      width: 170,
      render: (_, row) => actions(row),
    },
  ];

  const subTitle = useSubtitle(t('merchant:marketplace.escrows.subtitle'));
  return (
    <Page title={t('merchant:marketplace.escrows.title')} subTitle={subTitle}>
      <div data-testid="escrow-table">
        <ProTable<EscrowView, EscrowQuery>
          rowKey="orderNo"
          actionRef={actionRef}
          columns={columns}
          request={(query) => {
            const filters = { state: query.state };
            return load(filters, (cursor) => marketplaceApi.escrows(filters, cursor));
          }}
          pagination={false}
          search={{ labelWidth: 'auto', defaultCollapsed: compact }}
          form={{ syncToUrl: false }}
          options={{ density: false, reload: true, setting: true, fullScreen: false }}
          scroll={compact ? undefined : { x: widthOf(columns) }}
          columnsState={remembered('merchant.escrows')}
          size="middle"
          onRow={(row) => openableRow(() => setOpened(row), row.orderNo)}
        />
        {pager}
      </div>
      <ConfirmEscrow
        escrow={confirming}
        onClose={() => setConfirming(null)}
        onDone={(answer) => {
          setConfirming(null);
          if (opened?.orderNo === answer.orderNo) setOpened(answer);
          actionRef.current?.reload();
        }}
      />
      <EscrowDrawer escrow={opened} onClose={() => setOpened(null)} onConfirm={setConfirming} />
    </Page>
  );
}

/** 确认收货: all that is held (empty), or part of it; the dialog says how much is held. */
function ConfirmEscrow({
  escrow,
  onClose,
  onDone,
}: {
  escrow: EscrowView | null;
  onClose: () => void;
  onDone: (answer: EscrowView) => void;
}) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  return (
    <ModalForm<{ amount?: string }>
      open={escrow !== null}
      title={t('merchant:marketplace.escrows.confirmTitle')}
      width={440}
      modalProps={{ destroyOnHidden: true, onCancel: onClose }}
      onFinish={async (v) => {
        if (!escrow) return false;
        const amount = v.amount?.trim() ? (parseYuan(v.amount) ?? undefined) : undefined;
        try {
          const answer = await marketplaceApi.confirmEscrow(escrow.orderNo, amount);
          message.success(
            t('merchant:marketplace.escrows.confirmed', { amount: yuan(amount ?? escrow.held) }),
          );
          onDone(answer);
          return true;
        } catch (e) {
          message.error(errorText(e));
          return false;
        }
      }}
    >
      {escrow && (
        <>
          <Descriptions size="small" column={1} bordered style={{ marginBottom: 16 }}>
            <Descriptions.Item label={t('glossary:orderNo')}>
              <span className="qy-mono">{escrow.orderNo}</span>
            </Descriptions.Item>
            <Descriptions.Item label={t('merchant:marketplace.escrows.held')}>
              <Typography.Text strong data-testid="escrow-held">
                {yuan(escrow.held)}
              </Typography.Text>
            </Descriptions.Item>
          </Descriptions>
          <Form.Item
            name="amount"
            label={t('merchant:marketplace.escrows.confirmAmount')}
            extra={t('merchant:marketplace.escrows.confirmAmountHint')}
            rules={[
              {
                validator: async (_rule, value: unknown) => {
                  const problem = amountProblem(value);
                  if (problem) throw new Error(problem);
                  const minor = typeof value === 'string' && value.trim() ? parseYuan(value) : null;
                  if (minor !== null && minor > escrow.held) {
                    throw new Error(
                      t('merchant:marketplace.escrows.confirmAmountMax', { amount: yuan(escrow.held) }),
                    );
                  }
                },
              },
            ]}
          >
            <Input
              prefix="¥"
              inputMode="decimal"
              autoComplete="off"
              placeholder={(escrow.held / 100).toFixed(2)}
            />
          </Form.Item>
        </>
      )}
    </ModalForm>
  );
}

/** 担保消费关联查询: the escrow's figures and each confirmation with the splits it made. */
function EscrowDrawer({
  escrow,
  onClose,
  onConfirm,
}: {
  escrow: EscrowView | null;
  onClose: () => void;
  onConfirm: (escrow: EscrowView) => void;
}) {
  const { t } = useTranslation();
  const screens = Grid.useBreakpoint();
  return (
    <Drawer
      open={escrow !== null}
      onClose={onClose}
      width={screens.md ? 640 : '100%'}
      title={t('merchant:marketplace.escrows.related')}
      destroyOnHidden
    >
      {escrow && (
        <Space direction="vertical" size={16} style={{ width: '100%' }} data-testid="escrow-detail">
          <Flex align="center" justify="space-between" wrap gap={12}>
            <div>
              <Typography.Text type="secondary">{t('merchant:marketplace.escrows.amount')}</Typography.Text>
              <div style={{ fontSize: 28, fontWeight: 600, lineHeight: 1.3 }}>{yuan(escrow.amount)}</div>
            </div>
            <EscrowStateTag state={escrow.state} />
          </Flex>
          <Descriptions bordered size="small" column={1} styles={{ label: { width: 150 } }}>
            <Descriptions.Item label={t('glossary:orderNo')}>
              <Typography.Text copyable className="qy-mono">
                {escrow.orderNo}
              </Typography.Text>
            </Descriptions.Item>
            <Descriptions.Item label={t('merchant:marketplace.escrows.held')}>
              <Flex justify="space-between" align="center" gap={8} wrap>
                {yuan(escrow.held)}
                {escrow.held > 0 && (
                  <RowAction onClick={() => onConfirm(escrow)}>
                    {t('merchant:marketplace.escrows.confirm')}
                  </RowAction>
                )}
              </Flex>
            </Descriptions.Item>
            <Descriptions.Item label={t('merchant:marketplace.escrows.released')}>
              {yuan(escrow.released)}
            </Descriptions.Item>
            <Descriptions.Item label={t('merchant:marketplace.escrows.refunded')}>
              {yuan(escrow.refunded)}
            </Descriptions.Item>
            <Descriptions.Item label={t('merchant:marketplace.escrows.autoConfirmAt')}>
              {dateTime(escrow.autoConfirmAt)}
            </Descriptions.Item>
          </Descriptions>
          <Typography.Title level={5} style={{ margin: 0 }}>
            {t('merchant:marketplace.escrows.confirmations')}
          </Typography.Title>
          {escrow.confirmations.length === 0 ? (
            <Empty
              image={Empty.PRESENTED_IMAGE_SIMPLE}
              description={t('merchant:marketplace.escrows.noConfirmations')}
            />
          ) : (
            escrow.confirmations.map((c) => (
              <Card
                key={c.confirmNo}
                size="small"
                data-testid="escrow-confirmation"
                title={
                  <Space direction="vertical" size={0}>
                    <span className="qy-mono">{c.confirmNo}</span>
                    <Typography.Text type="secondary" style={{ fontSize: 12, fontWeight: 'normal' }}>
                      {dateTime(c.at)} ·{' '}
                      <span data-source={c.source}>{marketWord('escrows.sourceWord', c.source)}</span>
                    </Typography.Text>
                  </Space>
                }
                extra={<Typography.Text strong>{yuan(c.amount)}</Typography.Text>}
              >
                <List
                  size="small"
                  header={
                    <Typography.Text type="secondary">
                      {t('merchant:marketplace.escrows.splits')}
                    </Typography.Text>
                  }
                  dataSource={c.splits}
                  renderItem={(s, i) => (
                    <List.Item key={`${s.to.memberNo ?? s.to.name}-${i}`}>
                      <Flex justify="space-between" align="center" style={{ width: '100%' }}>
                        <Space size={6}>
                          <SplitEndCell end={s.to} />
                          {s.kind === 'commission' && (
                            <Tag color="purple">{marketWord('splitRecords.kindWord', s.kind)}</Tag>
                          )}
                        </Space>
                        <span>{yuan(s.amount)}</span>
                      </Flex>
                    </List.Item>
                  )}
                />
              </Card>
            ))
          )}
        </Space>
      )}
    </Drawer>
  );
}
