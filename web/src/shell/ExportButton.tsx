import { DownloadOutlined } from '@ant-design/icons';
import { App, Button, Dropdown } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { type ExportColumn, type ExportFormat, exportTable } from './tableExport.ts';

/** "导出" with CSV and Excel: saves the rows the table shows, under its own headings. */
export function ExportButton<T>(props: {
  /** The file's name without its extension. */
  basename: string;
  columns: ExportColumn<T>[];
  rows: T[];
  testId?: string;
}) {
  const { t } = useTranslation('common');
  const { message } = App.useApp();
  const [busy, setBusy] = useState(false);
  const save = async (format: ExportFormat) => {
    setBusy(true);
    try {
      await exportTable(format, props.basename, props.columns, props.rows);
    } catch {
      message.error(t('export.failed'));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dropdown
      // A click, not a hover: phones have no hover.
      trigger={['click']}
      disabled={props.rows.length === 0}
      menu={{
        items: [
          { key: 'csv', label: t('export.csv') },
          { key: 'xlsx', label: t('export.xlsx') },
        ],
        onClick: ({ key }) => void save(key as ExportFormat),
      }}
    >
      <Button
        size="small"
        icon={<DownloadOutlined />}
        loading={busy}
        disabled={props.rows.length === 0}
        data-testid={props.testId}
      >
        {t('export.label')}
      </Button>
    </Dropdown>
  );
}
