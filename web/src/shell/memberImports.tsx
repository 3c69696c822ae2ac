import { DownloadOutlined } from '@ant-design/icons';
import { App, Button, Checkbox, Dropdown, Progress, Space, Table, Tag, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table';
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, qs } from '../api.ts';
import { downloadFromApi } from './download.ts';
import { errorText } from './errors.ts';

// What the merchant's import screen and the operators' review screen share: the batch and row
// shapes, the state tag, the progress bar, the rows table with the findings, the result file.

export type ImportBatchState = 'draft' | 'pending_review' | 'rejected' | 'processing' | 'completed';
export type ImportRowOutcome = 'invalid' | 'pending' | 'created' | 'failed';

export interface ImportBatch {
  batchNo: string;
  fileName: string;
  fileFormat: 'csv' | 'xlsx';
  state: ImportBatchState;
  totalRows: number;
  validRows: number;
  invalidRows: number;
  processedRows: number;
  createdRows: number;
  failedRows: number;
  rejectReason: string | null;
  submittedAt: string | null;
  reviewedAt: string | null;
  completedAt: string | null;
  createdAt: string;
  merchantName?: string;
}

export interface ImportRow {
  lineNo: number;
  bizUserId: string;
  type: string;
  name: string;
  phoneMasked: string;
  idNoMasked: string;
  legalPersonName: string;
  cardNoMasked: string;
  bankName: string;
  bankBranch: string;
  cardPhoneMasked: string;
  problems: { field: string; code: string }[];
  outcome: ImportRowOutcome;
  memberNo: string | null;
  errorCode: string | null;
}

export const IMPORT_BATCH_STATES: ImportBatchState[] = [
  'draft',
  'pending_review',
  'rejected',
  'processing',
  'completed',
];

const STATE_COLOR: Record<ImportBatchState, string> = {
  draft: 'default',
  pending_review: 'gold',
  rejected: 'red',
  processing: 'blue',
  completed: 'green',
};
const OUTCOME_COLOR: Record<ImportRowOutcome, string> = {
  invalid: 'red',
  pending: 'default',
  created: 'green',
  failed: 'volcano',
};

export function ImportStateTag({ state }: { state: ImportBatchState }) {
  const { t } = useTranslation();
  return <Tag color={STATE_COLOR[state]}>{t(`memberImport:state.${state}`)}</Tag>;
}

/** The rows done of those to open; only once the batch was approved. */
export function ImportProgress({ batch }: { batch: ImportBatch }) {
  const { t } = useTranslation();
  if (batch.state !== 'processing' && batch.state !== 'completed') return <span>-</span>;
  const percent = batch.validRows === 0 ? 100 : Math.floor((batch.processedRows * 100) / batch.validRows);
  return (
    <Space direction="vertical" size={0} style={{ minWidth: 140 }} data-testid="import-progress">
      <Progress
        percent={percent}
        size="small"
        status={batch.state === 'processing' ? 'active' : batch.failedRows > 0 ? 'exception' : 'success'}
        format={() => `${batch.processedRows}/${batch.validRows}`}
      />
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>
        {t('memberImport:batches.outcome', { created: batch.createdRows, failed: batch.failedRows })}
      </Typography.Text>
    </Space>
  );
}

/** Downloads the result file (回盘文件) as CSV or XLSX from `base` (the batch's route). */
export function ResultFileButton({ base, batch }: { base: string; batch: ImportBatch }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const save = (format: 'csv' | 'xlsx') =>
    downloadFromApi(
      `${base}/${batch.batchNo}/result${qs({ format })}`,
      `member-import-result-${batch.batchNo}.${format}`,
    ).catch((e) => message.error(errorText(e)));
  return (
    <Dropdown
      menu={{
        items: [
          { key: 'csv', label: 'CSV', onClick: () => void save('csv') },
          { key: 'xlsx', label: 'XLSX', onClick: () => void save('xlsx') },
        ],
      }}
    >
      <Button size="small" icon={<DownloadOutlined />} data-testid={`import-result-${batch.batchNo}`}>
        {t('memberImport:batches.result')}
      </Button>
    </Dropdown>
  );
}

interface RowsPage {
  items: ImportRow[];
  nextCursor: string | null;
}

/**
 * A batch's rows in file order with each row's findings or outcome, loaded a page at a time;
 * `version` changes to load them again (the progress moved). Numbers come masked from the server.
 */
export function ImportRowsTable({
  base,
  batchNo,
  version,
}: {
  base: string;
  batchNo: string;
  version?: number;
}) {
  const { t } = useTranslation();
  const [onlyProblems, setOnlyProblems] = useState(false);
  const [rows, setRows] = useState<ImportRow[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(
    async (after: string | null) => {
      setLoading(true);
      try {
        const page = await api.get<RowsPage>(
          `${base}/${batchNo}/rows${qs({ after, outcome: onlyProblems ? 'invalid' : undefined })}`,
        );
        setRows((old) => (after ? [...old, ...page.items] : page.items));
        setNext(page.nextCursor);
        setError(null);
      } catch (e) {
        setError(e);
      } finally {
        setLoading(false);
      }
    },
    [base, batchNo, onlyProblems],
  );
  // biome-ignore lint/correctness/useExhaustiveDependencies: version asks for the first page again
  useEffect(() => {
    void load(null);
  }, [load, version]);

  const columns: ColumnsType<ImportRow> = [
    { title: t('memberImport:row.lineNo'), dataIndex: 'lineNo', width: 64, fixed: 'left' },
    {
      title: t('memberImport:row.bizUserId'),
      dataIndex: 'bizUserId',
      width: 150,
      render: (v: string, row) => (
        <Space direction="vertical" size={0}>
          <span className="qy-mono">{v || '-'}</span>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {row.type === 'personal' || row.type === 'enterprise'
              ? t(`memberImport:memberType.${row.type}`)
              : row.type || '-'}
          </Typography.Text>
        </Space>
      ),
    },
    {
      title: t('memberImport:row.name'),
      dataIndex: 'name',
      width: 160,
      render: (v: string, row) => (
        <Space direction="vertical" size={0}>
          <span>{v || '-'}</span>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {row.phoneMasked}
          </Typography.Text>
        </Space>
      ),
    },
    {
      title: t('memberImport:row.idNo'),
      dataIndex: 'idNoMasked',
      width: 170,
      render: (v: string) => <span className="qy-mono">{v || '-'}</span>,
    },
    {
      title: t('memberImport:row.cardNo'),
      dataIndex: 'cardNoMasked',
      width: 190,
      render: (v: string, row) => (
        <Space direction="vertical" size={0}>
          <span className="qy-mono">{v || '-'}</span>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {[row.bankName, row.bankBranch].filter(Boolean).join(' ')}
          </Typography.Text>
        </Space>
      ),
    },
    {
      title: t('memberImport:row.outcome'),
      key: 'outcome',
      width: 260,
      render: (_, row) => (
        <Space direction="vertical" size={2} data-testid={`import-row-${row.lineNo}`}>
          <Tag color={OUTCOME_COLOR[row.outcome]}>{t(`memberImport:outcome.${row.outcome}`)}</Tag>
          {row.problems.map((p) => (
            <Typography.Text key={`${p.field}-${p.code}`} type="danger" style={{ fontSize: 12 }}>
              {t('memberImport:row.problem', {
                field: t(`memberImport:row.${p.field}`),
                message: t(`errors:code.${p.code}`),
              })}
            </Typography.Text>
          ))}
          {row.errorCode && (
            <Typography.Text type="danger" style={{ fontSize: 12 }}>
              {t(`errors:code.${row.errorCode}`, { defaultValue: t('errors:title') })}
            </Typography.Text>
          )}
        </Space>
      ),
    },
    {
      title: t('memberImport:row.memberNo'),
      dataIndex: 'memberNo',
      width: 130,
      render: (v: string | null) => <span className="qy-mono">{v ?? '-'}</span>,
    },
  ];

  return (
    <div data-testid="import-rows">
      <Checkbox
        checked={onlyProblems}
        onChange={(e) => setOnlyProblems(e.target.checked)}
        style={{ marginBottom: 8 }}
      >
        {t('memberImport:row.onlyProblems')}
      </Checkbox>
      {error ? <Typography.Text type="danger">{errorText(error)}</Typography.Text> : null}
      <Table<ImportRow>
        rowKey="lineNo"
        size="small"
        columns={columns}
        dataSource={rows}
        loading={loading}
        pagination={false}
        scroll={{ x: 1124 }}
      />
      {next && (
        <Button block style={{ marginTop: 8 }} loading={loading} onClick={() => void load(next)}>
          {t('memberImport:row.more')}
        </Button>
      )}
    </div>
  );
}
