import { DownloadOutlined } from '@ant-design/icons';
import { App, Button, Dropdown, Progress, Space, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { qs } from '../api.ts';
import { apiErrorOf, saveBlob } from './download.ts';
import { errorText } from './errors.ts';

type Format = 'csv' | 'xlsx';
export type ExportParams = Record<string, string | number | boolean | undefined | null>;

/** How often the progress is redrawn while the file streams in. */
const REDRAW_MS = 150;
const NEWLINE = 0x0a;

interface Received {
  rows: number;
  bytes: number;
  /** CSV lines read, the header's included. */
  lines: number;
}

/**
 * "导出" with CSV and Excel, made by the server from every row the list's filters match (not only
 * the page): the file streams in through fetch with a progress notice (CSV: the rows written out of
 * the `x-export-rows` count; Excel: the bytes received), which can cancel it. A refusal (more rows
 * than the platform's limit) is said in the console's words.
 */
export function ServerExportButton(props: {
  /** The export route, e.g. `/api/admin/orders/export`. */
  path: string;
  /** The list's current filters, read when the export starts. */
  params: () => ExportParams;
  testId?: string;
  size?: 'small' | 'middle';
}) {
  const { t } = useTranslation('common');
  const { notification, message } = App.useApp();
  const [busy, setBusy] = useState(false);

  const run = async (format: Format) => {
    const abort = new AbortController();
    const key = `export-${Date.now()}`;
    const show = (received: Received | null) =>
      notification.open({
        key,
        duration: 0,
        placement: 'bottomRight',
        message: received ? t('export.running', { rows: received.rows }) : t('export.preparing'),
        description: <ExportProgress format={format} received={received} onCancel={() => abort.abort()} />,
        onClose: () => abort.abort(),
      });
    setBusy(true);
    show(null);
    try {
      const response = await fetch(`${props.path}${qs({ ...props.params(), format })}`, {
        credentials: 'same-origin',
        signal: abort.signal,
      });
      if (!response.ok) throw await apiErrorOf(response);
      const received: Received = {
        rows: Number(response.headers.get('x-export-rows') ?? 0),
        bytes: 0,
        lines: 0,
      };
      show(received);
      const chunks: Uint8Array[] = [];
      const reader = response.body!.getReader();
      let drawn = Date.now();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(value);
        received.bytes += value.byteLength;
        if (format === 'csv') for (const byte of value) if (byte === NEWLINE) received.lines++;
        if (Date.now() - drawn > REDRAW_MS) {
          drawn = Date.now();
          show({ ...received });
        }
      }
      const file = fileNameOf(response) ?? `export.${format}`;
      saveBlob(file, new Blob(chunks as BlobPart[], { type: response.headers.get('content-type') ?? '' }));
      notification.destroy(key);
      message.success(t('export.saved', { rows: received.rows, file }));
    } catch (e) {
      // Read before the notice goes: closing it aborts the (already failed) request.
      const cancelled = abort.signal.aborted;
      notification.destroy(key);
      if (cancelled) message.info(t('export.cancelled'));
      else message.error(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dropdown
      // A click, not a hover: phones have no hover.
      trigger={['click']}
      disabled={busy}
      menu={{
        items: [
          { key: 'csv', label: t('export.csv') },
          { key: 'xlsx', label: t('export.xlsx') },
        ],
        onClick: ({ key }) => void run(key as Format),
      }}
    >
      <Button size={props.size} icon={<DownloadOutlined />} loading={busy} data-testid={props.testId}>
        {t('export.label')}
      </Button>
    </Dropdown>
  );
}

function ExportProgress(props: { format: Format; received: Received | null; onCancel: () => void }) {
  const { t } = useTranslation('common');
  const { received } = props;
  const done = received ? Math.max(0, received.lines - 1) : 0;
  const percent =
    received && received.rows > 0
      ? Math.min(99, Math.floor((Math.min(done, received.rows) / received.rows) * 100))
      : 0;
  return (
    <Space direction="vertical" style={{ width: '100%' }} data-testid="export-progress">
      {props.format === 'csv' || !received ? (
        <Progress percent={percent} status="active" />
      ) : (
        <Progress percent={100} status="active" showInfo={false} />
      )}
      {received && (
        <Typography.Text type="secondary">
          {props.format === 'csv'
            ? t('export.csvProgress', { done: Math.min(done, received.rows), rows: received.rows })
            : t('export.xlsxProgress', { size: sizeText(received.bytes), rows: received.rows })}
        </Typography.Text>
      )}
      <Button size="small" onClick={props.onCancel} data-testid="export-cancel">
        {t('export.cancel')}
      </Button>
    </Space>
  );
}

function sizeText(bytes: number): string {
  if (bytes < 1024 * 1024) return `${Math.max(1, Math.round(bytes / 1024))} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** The name the server gave the file (`attachment; filename="orders-20261206-103000.csv"`). */
function fileNameOf(response: Response): string | null {
  const match = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '');
  return match?.[1] ?? null;
}
