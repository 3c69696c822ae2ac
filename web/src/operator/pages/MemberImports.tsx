import {
  App,
  Button,
  Descriptions,
  Drawer,
  Empty,
  Flex,
  Form,
  Grid,
  Input,
  Modal,
  Select,
  Space,
  Table,
  Typography,
} from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { api, qs } from '../../api.ts';
import { errorText } from '../../shell/errors.ts';
import { dateTime } from '../../shell/format.ts';
import {
  IMPORT_BATCH_STATES,
  type ImportBatch,
  ImportProgress,
  ImportRowsTable,
  ImportStateTag,
  ResultFileButton,
} from '../../shell/memberImports.tsx';
import { Page } from '../../shell/Page.tsx';
import { useCan } from '../../shell/session.tsx';
import { useApi } from '../../shell/useApi.ts';

const BASE = '/api/admin/member-imports';
const POLL_MS = 3000;

/**
 * 会员导入审核: every merchant's submitted member import batches, by state and merchant number; a
 * batch's rows with their findings, approve (the worker then opens the members) or reject with a
 * reason (merchant.write).
 */
export function MemberImportsPage() {
  const { t } = useTranslation();
  const compact = !Grid.useBreakpoint().md;
  const [params, setParams] = useSearchParams();
  const state = params.get('state') ?? 'pending_review';
  const [mchNo, setMchNo] = useState(params.get('mchNo') ?? '');
  const open = params.get('batch');
  const list = useApi<{ items: ImportBatch[] }>(
    `${BASE}${qs({ state: state === 'all' ? undefined : state, mchNo: params.get('mchNo') })}`,
  );
  const items = list.data?.items ?? [];
  const set = (key: string, value: string | null) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next);
  };
  const busy = items.some((b) => b.state === 'processing');
  useEffect(() => {
    if (!busy) return;
    const timer = setInterval(() => void list.reload(), POLL_MS);
    return () => clearInterval(timer);
  }, [busy, list.reload]);

  const columns: ColumnsType<ImportBatch> = [
    {
      title: t('memberImport:batches.batchNo'),
      dataIndex: 'batchNo',
      width: 170,
      render: (v: string, b) => (
        <Space direction="vertical" size={0}>
          <Typography.Link className="qy-mono" onClick={() => set('batch', v)}>
            {v}
          </Typography.Link>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {dateTime(b.submittedAt)}
          </Typography.Text>
        </Space>
      ),
    },
    { title: t('memberImport:batches.merchant'), dataIndex: 'merchantName', width: 180, ellipsis: true },
    {
      title: t('memberImport:batches.file'),
      dataIndex: 'fileName',
      width: 160,
      ellipsis: true,
      hidden: compact,
    },
    {
      title: t('memberImport:batches.state'),
      dataIndex: 'state',
      width: 110,
      render: (_, b) => <ImportStateTag state={b.state} />,
    },
    {
      title: t('memberImport:batches.rows'),
      key: 'rows',
      width: 130,
      hidden: compact,
      render: (_, b) => t('memberImport:batches.rowsDetail', { valid: b.validRows, total: b.totalRows }),
    },
    {
      title: t('memberImport:batches.progress'),
      key: 'progress',
      width: 180,
      hidden: compact,
      render: (_, b) => <ImportProgress batch={b} />,
    },
    {
      title: t('memberImport:batches.actions'),
      key: 'actions',
      width: 90,
      render: (_, b) => (
        <Button size="small" onClick={() => set('batch', b.batchNo)} data-testid={`import-open-${b.batchNo}`}>
          {b.state === 'pending_review' ? t('memberImport:batches.review') : t('memberImport:batches.view')}
        </Button>
      ),
    },
  ];

  return (
    <Page
      title={t('memberImport:reviewMenu')}
      subTitle={compact ? undefined : t('memberImport:reviewSubtitle')}
    >
      <Flex gap={8} wrap style={{ marginBottom: 12 }}>
        <Select
          style={{ width: 160 }}
          value={state}
          onChange={(v) => set('state', v)}
          options={[
            { value: 'all', label: t('memberImport:batches.allStates') },
            ...IMPORT_BATCH_STATES.filter((s) => s !== 'draft').map((s) => ({
              value: s,
              label: t(`memberImport:state.${s}`),
            })),
          ]}
          data-testid="import-state-filter"
          aria-label={t('memberImport:batches.state')}
        />
        <Input.Search
          style={{ width: 220 }}
          allowClear
          placeholder={t('memberImport:batches.mchNo')}
          aria-label={t('memberImport:batches.mchNo')}
          value={mchNo}
          onChange={(e) => setMchNo(e.target.value)}
          onSearch={(v) => set('mchNo', v.trim() || null)}
        />
      </Flex>
      <Table<ImportBatch>
        rowKey="batchNo"
        size="small"
        columns={columns}
        dataSource={items}
        loading={list.loading}
        pagination={false}
        locale={{
          emptyText: (
            <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('memberImport:batches.empty')} />
          ),
        }}
        scroll={compact ? undefined : { x: 1020 }}
      />
      <BatchDrawer batchNo={open} onClose={() => set('batch', null)} onChanged={() => void list.reload()} />
    </Page>
  );
}

function BatchDrawer({
  batchNo,
  onClose,
  onChanged,
}: {
  batchNo: string | null;
  onClose: () => void;
  onChanged: () => void;
}) {
  const { t } = useTranslation();
  const { message, modal } = App.useApp();
  const compact = !Grid.useBreakpoint().md;
  const can = useCan();
  const batch = useApi<ImportBatch>(batchNo ? `${BASE}/${batchNo}` : null);
  const [rejecting, setRejecting] = useState(false);
  const [form] = Form.useForm<{ reason: string }>();
  const b = batch.data?.batchNo === batchNo ? batch.data : undefined;
  const [version, setVersion] = useState(0);
  const processing = b?.state === 'processing';
  useEffect(() => {
    if (!processing) return;
    const timer = setInterval(() => {
      void batch.reload();
      setVersion((v) => v + 1);
    }, POLL_MS);
    return () => clearInterval(timer);
  }, [processing, batch.reload]);

  const changed = async () => {
    await batch.reload();
    setVersion((v) => v + 1);
    onChanged();
  };
  const approve = () =>
    modal.confirm({
      title: t('memberImport:review.approve'),
      content: t('memberImport:review.approveConfirm', { valid: b?.validRows ?? 0 }),
      onOk: async () => {
        try {
          await api.post(`${BASE}/${batchNo}/approve`);
          message.success(t('memberImport:review.approved'));
          await changed();
        } catch (e) {
          message.error(errorText(e));
        }
      },
    });
  const reject = async () => {
    const { reason } = await form.validateFields();
    try {
      await api.post(`${BASE}/${batchNo}/reject`, { reason: reason.trim() });
      message.success(t('memberImport:review.rejected'));
      setRejecting(false);
      await changed();
    } catch (e) {
      message.error(errorText(e));
    }
  };

  return (
    <Drawer
      open={batchNo !== null}
      onClose={onClose}
      width={compact ? '100%' : 1000}
      title={batchNo ? t('memberImport:review.title', { batchNo }) : ''}
      destroyOnHidden
      extra={
        b?.state === 'pending_review' && can('merchant.write') ? (
          <Space>
            <Button danger onClick={() => setRejecting(true)} data-testid="import-reject">
              {t('memberImport:review.reject')}
            </Button>
            <Button type="primary" onClick={approve} data-testid="import-approve">
              {t('memberImport:review.approve')}
            </Button>
          </Space>
        ) : null
      }
    >
      {b && batchNo && (
        <Flex vertical gap={12}>
          <Descriptions size="small" column={compact ? 1 : 3} bordered>
            <Descriptions.Item label={t('memberImport:batches.merchant')}>{b.merchantName}</Descriptions.Item>
            <Descriptions.Item label={t('memberImport:batches.file')}>{b.fileName}</Descriptions.Item>
            <Descriptions.Item label={t('memberImport:batches.state')}>
              <span data-testid="import-drawer-state">
                <ImportStateTag state={b.state} />
              </span>
            </Descriptions.Item>
            <Descriptions.Item label={t('memberImport:batches.rows')}>
              {t('memberImport:batches.rowsDetail', { valid: b.validRows, total: b.totalRows })}
            </Descriptions.Item>
            <Descriptions.Item label={t('memberImport:batches.submittedAt')}>
              {dateTime(b.submittedAt)}
            </Descriptions.Item>
            <Descriptions.Item label={t('memberImport:batches.progress')}>
              <ImportProgress batch={b} />
            </Descriptions.Item>
          </Descriptions>
          {b.rejectReason && (
            <Typography.Text type="danger">
              {t('memberImport:batches.rejectReason', { reason: b.rejectReason })}
            </Typography.Text>
          )}
          {b.state !== 'pending_review' && (
            <div>
              <ResultFileButton base={BASE} batch={b} />
            </div>
          )}
          <ImportRowsTable base={BASE} batchNo={batchNo} version={version} />
        </Flex>
      )}
      <Modal
        open={rejecting}
        title={t('memberImport:review.rejectTitle')}
        onCancel={() => setRejecting(false)}
        onOk={() => void reject()}
        destroyOnHidden
      >
        <Form form={form} layout="vertical" preserve={false}>
          <Form.Item
            name="reason"
            label={t('memberImport:review.reason')}
            rules={[{ required: true, whitespace: true, message: t('memberImport:review.reasonRequired') }]}
          >
            <Input.TextArea maxLength={200} rows={3} data-testid="import-reject-reason" />
          </Form.Item>
        </Form>
      </Modal>
    </Drawer>
  );
}
