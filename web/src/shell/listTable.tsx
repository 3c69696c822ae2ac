import { Button, type ButtonProps, Space, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';

// The one table pattern of the consoles (see also TwoLineCell, rowClick's openableRow and
// tablePage). Every list:
// - opens with its identifying cell first: the number over the second number over the time;
// - puts related figures in one cell (FiguresCell), so the amount is never pushed off-screen;
// - fixes no column on the right: the columns' widths add up to what fits at 1280 px
//   (`scroll.x` = their sum), and a column fixed on the left covers nothing until one scrolls;
// - lets the reader choose its columns and remembers the choice (remembered(key));
// - opens its rows by keyboard as by mouse (openableRow), its actions are buttons (RowAction).

/**
 * ProTable's `columnsState` for a list whose column choice is remembered in this browser, one key
 * per list (`qy.columns.<key>`). Every column needs a stable `key` or `dataIndex`.
 */
export function remembered(key: string) {
  return { persistenceKey: `qy.columns.${key}`, persistenceType: 'localStorage' as const };
}

/** Sums the widths of the columns a table shows: its `scroll.x`, so it scrolls only when narrower. */
export function widthOf(
  columns: { width?: number | string; hideInTable?: boolean; hidden?: boolean }[],
): number {
  return columns.reduce(
    (sum, c) => sum + (c.hideInTable || c.hidden || typeof c.width !== 'number' ? 0 : c.width),
    0,
  );
}

/** One figure under the main one: a label and its value, e.g. 手续费 ¥0.60. */
export interface Figure {
  label: string;
  value: ReactNode;
  /** What the line says in full, on hover (e.g. the rate behind it). */
  title?: string;
}

/**
 * A cell of related figures, right-aligned: the main one (an amount) in bold, then small lines of
 * label and value (rate, fee, cost, profit). `data-cell="amount"` marks the main figure for tests.
 */
export function FiguresCell({
  main,
  figures = [],
}: {
  main: ReactNode;
  figures?: (Figure | null | false)[];
}) {
  return (
    <Space direction="vertical" size={0} style={{ width: '100%', textAlign: 'right' }}>
      <Typography.Text strong data-cell="amount">
        {main}
      </Typography.Text>
      {figures
        .filter((f): f is Figure => !!f)
        .map((f) => (
          <Typography.Text key={f.label} type="secondary" style={{ fontSize: 12 }} title={f.title}>
            {f.label} {f.value}
          </Typography.Text>
        ))}
    </Space>
  );
}

/**
 * A row's action: a link-looking button, so Tab reaches it and Enter / Space runs it (an antd
 * Typography.Link without href does neither), and a click on it never opens the row.
 */
export function RowAction(props: ButtonProps) {
  return (
    <Button
      type="link"
      size="small"
      {...props}
      style={{ paddingInline: 0, height: 'auto', ...props.style }}
    />
  );
}

/** The fewest trailing digits a number search takes (the server's rule, orders/number-search.ts). */
export const MIN_SUFFIX_DIGITS = 4;

/**
 * The search form's rule for a number field: a whole number of any kind, or at least the last
 * 4 digits of one; 1–3 digits say so in the form instead of asking the server.
 */
export function useNumberSearchRules() {
  const { t } = useTranslation('common');
  return [
    {
      validator: async (_: unknown, value?: string) => {
        if (value && /^\d{1,3}$/.test(value.trim())) {
          throw new Error(t('common.numberTooShort', { min: MIN_SUFFIX_DIGITS }));
        }
      },
    },
  ];
}

/**
 * A list's date-range filter in platform days (YYYY-MM-DD): the server reads them in its time zone,
 * `to` inclusive. Spread into the columns with the column's title and form field (`dataIndex`).
 */
export function dayRangeSearch(title: string, dataIndex: string, order?: number) {
  return {
    title,
    dataIndex,
    valueType: 'dateRange' as const,
    hideInTable: true,
    ...(order === undefined ? {} : { order }),
    search: {
      transform: (value: [string | Dayjs, string | Dayjs]) => ({
        from: dayjs(value[0]).format('YYYY-MM-DD'),
        to: dayjs(value[1]).format('YYYY-MM-DD'),
      }),
    },
  };
}
