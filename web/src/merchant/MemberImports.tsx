import { DownloadOutlined, InboxOutlined } from '@ant-design/icons';
import { Alert, App, Button, Card, Drawer, Empty, Flex, Grid, Space, Table, Typography, Upload } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, qs } from '../api.ts';
import { downloadFromApi } from '../shell/download.ts';
import { errorText } from '../shell/errors.ts';
import { dateTime } from '../shell/format.ts';
import {
  type ImportBatch,
  ImportProgress,
  ImportRowsTable,
  ImportStateTag,
  ResultFileButton,
} from '../shell/memberImports.tsx';
import { Page } from '../shell/Page.tsx';
import { useApi } from '../shell/useApi.ts';
import { FieldSelect } from './marketplaceTags.tsx';
import { asList, type List, type MerchantAppInfo } from './types.ts';

const BASE = '/api/merchant/member-imports';
const MAX_ROWS = 5000;
/** How often the list is read again while a batch is being opened. */
const POLL_MS = 3000;

/** The file's bytes as base64, the upload route's body. */
function base64Of(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(',')[1] ?? '');
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

/**
 * 批量导入 (store managers): the template, the upload with its validation report, sending the
 * batch for review, and the batches with their state, progress and result file (回盘文件).
 */
export function MemberImports() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const compact = !Grid.useBreakpoint().md;
  const apps = useApi<List<MerchantAppInfo> | MerchantAppInfo[]>('/api/merchant/apps');
  const appOptions = asList(apps.data).items.map((a) => ({
    value: a.appId,
    label: `${a.name} (${a.appId})`,
  }));
  const [appId, setAppId] = useState<string | undefined>();
  const chosenApp = appId ?? (appOptions.length === 1 ? appOptions[0]!.value : undefined);
  const [uploading, setUploading] = useState(false);
  const [uploaded, setUploaded] = useState<ImportBatch | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const batches = useApi<{ items: ImportBatch[] }>(BASE);
  const items = batches.data?.items ?? [];
  const busy = items.some((b) => b.state === 'processing');
  const [tick, setTick] = useState(0);

  useEffect(() => {
    if (!busy) return;
    const timer = setInterval(() => {
      void batches.reload();
      setTick((n) => n + 1);
    }, POLL_MS);
    return () => clearInterval(timer);
  }, [busy, batches.reload]);

  async function upload(file: File) {
    if (!chosenApp) {
      message.warning(t('memberImport:upload.appRequired'));
      return;
    }
    setUploading(true);
    try {
      const answer = await api.post<{ batch: ImportBatch }>(BASE, {
        appId: chosenApp,
        fileName: file.name,
        file: await base64Of(file),
      });
      setUploaded(answer.batch);
      message.success(
        t('memberImport:upload.done', {
          total: answer.batch.totalRows,
          valid: answer.batch.validRows,
          invalid: answer.batch.invalidRows,
        }),
      );
      await batches.reload();
    } catch (e) {
      message.error(errorText(e));
    } finally {
      setUploading(false);
    }
  }

  async function submit(batch: ImportBatch) {
    try {
      const sent = await api.post<ImportBatch>(`${BASE}/${batch.batchNo}/submit`);
      message.success(t('memberImport:report.submitted'));
      if (uploaded?.batchNo === sent.batchNo) setUploaded(sent);
      await batches.reload();
    } catch (e) {
      message.error(errorText(e));
    }
  }

  const template = (format: 'csv' | 'xlsx') =>
    downloadFromApi(`${BASE}/template${qs({ format })}`, `member-import-template.${format}`).catch((e) =>
      message.error(errorText(e)),
    );

  const columns: ColumnsType<ImportBatch> = [
    {
      title: t('memberImport:batches.batchNo'),
      dataIndex: 'batchNo',
      width: 170,
      render: (v: string, b) => (
        <Space direction="vertical" size={0}>
          <Typography.Link className="qy-mono" onClick={() => setOpen(v)}>
            {v}
          </Typography.Link>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {dateTime(b.createdAt)}
          </Typography.Text>
        </Space>
      ),
    },
    {
      title: t('memberImport:batches.file'),
      dataIndex: 'fileName',
      width: 180,
      ellipsis: true,
      hidden: compact,
    },
    {
      title: t('memberImport:batches.state'),
      dataIndex: 'state',
      width: 120,
      render: (_, b) => (
        <Space direction="vertical" size={0} data-testid={`import-state-${b.batchNo}`}>
          <ImportStateTag state={b.state} />
          {b.rejectReason && (
            <Typography.Text type="secondary" style={{ fontSize: 12 }}>
              {t('memberImport:batches.rejectReason', { reason: b.rejectReason })}
            </Typography.Text>
          )}
        </Space>
      ),
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
      render: (_, b) => <ImportProgress batch={b} />,
    },
    {
      title: t('memberImport:batches.actions'),
      key: 'actions',
      width: 200,
      render: (_, b) => (
        <Space wrap size={4}>
          <Button size="small" onClick={() => setOpen(b.batchNo)}>
            {t('memberImport:batches.view')}
          </Button>
          {b.state === 'draft' && b.validRows > 0 && (
            <Button size="small" type="primary" onClick={() => void submit(b)}>
              {t('memberImport:report.submit')}
            </Button>
          )}
          {b.state !== 'draft' && <ResultFileButton base={BASE} batch={b} />}
        </Space>
      ),
    },
  ];

  const openBatch = items.find((b) => b.batchNo === open) ?? (uploaded?.batchNo === open ? uploaded : null);
  return (
    <Page title={t('memberImport:title')} subTitle={compact ? undefined : t('memberImport:subtitle')}>
      <Flex vertical gap={16}>
        <Card title={t('memberImport:upload.title')} size="small">
          <Flex vertical gap={12}>
            <Flex gap={8} wrap align="center">
              <Typography.Text>{t('memberImport:upload.app')}</Typography.Text>
              <FieldSelect
                style={{ minWidth: 240 }}
                value={chosenApp}
                onChange={(v) => setAppId(v as string)}
                options={appOptions}
                loading={apps.loading}
                data-testid="import-app"
                aria-label={t('memberImport:upload.app')}
              />
              <Button icon={<DownloadOutlined />} onClick={() => void template('xlsx')}>
                {t('memberImport:upload.template')} XLSX
              </Button>
              <Button icon={<DownloadOutlined />} onClick={() => void template('csv')}>
                {t('memberImport:upload.template')} CSV
              </Button>
            </Flex>
            <div data-testid="import-upload">
              <Upload.Dragger
                accept=".csv,.xlsx"
                multiple={false}
                showUploadList={false}
                disabled={uploading}
                beforeUpload={(file) => {
                  void upload(file);
                  return false;
                }}
              >
                <p className="ant-upload-drag-icon">
                  <InboxOutlined />
                </p>
                <p className="ant-upload-text">
                  {uploading ? t('memberImport:upload.uploading') : t('memberImport:upload.drag')}
                </p>
                <p className="ant-upload-hint">{t('memberImport:upload.hint', { max: MAX_ROWS })}</p>
              </Upload.Dragger>
            </div>
          </Flex>
        </Card>
        {uploaded && (
          <Card
            size="small"
            title={t('memberImport:report.title', { batchNo: uploaded.batchNo })}
            data-testid="import-report"
            extra={
              uploaded.state === 'draft' ? (
                <Button
                  type="primary"
                  disabled={uploaded.validRows === 0}
                  onClick={() => void submit(uploaded)}
                  data-testid="import-submit"
                >
                  {t('memberImport:report.submit')}
                </Button>
              ) : (
                <ImportStateTag state={uploaded.state} />
              )
            }
          >
            <Alert
              style={{ marginBottom: 12 }}
              type={uploaded.invalidRows === 0 ? 'success' : 'warning'}
              showIcon
              message={t('memberImport:upload.done', {
                total: uploaded.totalRows,
                valid: uploaded.validRows,
                invalid: uploaded.invalidRows,
              })}
              description={
                uploaded.invalidRows === 0
                  ? t('memberImport:report.allGood')
                  : t('memberImport:report.someBad', { invalid: uploaded.invalidRows })
              }
            />
            <ImportRowsTable base={BASE} batchNo={uploaded.batchNo} />
          </Card>
        )}
        <Card title={t('memberImport:batches.title')} size="small" data-testid="import-batches">
          <Table<ImportBatch>
            rowKey="batchNo"
            size="small"
            columns={columns}
            dataSource={items}
            loading={batches.loading && !batches.data}
            pagination={false}
            locale={{
              emptyText: (
                <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('memberImport:batches.empty')} />
              ),
            }}
            scroll={compact ? undefined : { x: 980 }}
          />
        </Card>
      </Flex>
      <Drawer
        open={openBatch !== null}
        onClose={() => setOpen(null)}
        width={compact ? '100%' : 1000}
        title={openBatch ? t('memberImport:review.title', { batchNo: openBatch.batchNo }) : ''}
        destroyOnHidden
      >
        {openBatch && (
          <Flex vertical gap={12}>
            <Flex gap={12} wrap align="center">
              <ImportStateTag state={openBatch.state} />
              <ImportProgress batch={openBatch} />
              {openBatch.state !== 'draft' && <ResultFileButton base={BASE} batch={openBatch} />}
            </Flex>
            <ImportRowsTable base={BASE} batchNo={openBatch.batchNo} version={tick} />
          </Flex>
        )}
      </Drawer>
    </Page>
  );
}
