import { LeftOutlined, RightOutlined } from '@ant-design/icons';
import type { ActionType } from '@ant-design/pro-components';
import { Button, Flex, Select, Typography } from 'antd';
import { type RefObject, useCallback, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, qs } from '../api.ts';

/** What a cursor-paged list endpoint answers (the order lists). */
export interface CursorListPage<T> {
  items: T[];
  /** The matches, counted up to the server's bound; `totalCapped`: more than that. */
  total: number;
  totalCapped: boolean;
  nextCursor: string | null;
  previousCursor: string | null;
}

type Filters = Parameters<typeof qs>[0];
type Cursor = { after: string } | { before: string } | undefined;

/** "10 000" in both languages: the figure the list stops counting at reads the same everywhere. */
function grouped(n: number) {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
}

/**
 * Previous / next paging of a ProTable over a list that pages by cursor rather than by page
 * number (a list of millions has no page 4 000 worth jumping to). The cursor lives in a ref, so
 * the table's own reload (live refresh, an action's onDone) reloads the page shown; new filters
 * start again from the first page.
 */
export function useCursorPager(
  actionRef: RefObject<ActionType | null>,
  pageSizes: number[],
  defaultPageSize = 20,
) {
  const cursor = useRef<Cursor>(undefined);
  const filterKey = useRef<string | null>(null);
  const [pageSize, setPageSize] = useState(defaultPageSize);
  const pageSizeRef = useRef(defaultPageSize);
  const [answer, setAnswer] = useState<Omit<CursorListPage<unknown>, 'items'> | null>(null);

  const load = useCallback(async <T,>(path: string, filters: Filters) => {
    const key = JSON.stringify(filters);
    if (key !== filterKey.current) cursor.current = undefined;
    filterKey.current = key;
    const page = await api.get<CursorListPage<T>>(
      `${path}${qs({ ...filters, ...cursor.current, limit: pageSizeRef.current })}`,
    );
    setAnswer({
      total: page.total,
      totalCapped: page.totalCapped,
      nextCursor: page.nextCursor,
      previousCursor: page.previousCursor,
    });
    return { data: page.items, total: page.total, success: true };
  }, []);

  const go = (to: Cursor) => {
    cursor.current = to;
    actionRef.current?.reload();
  };
  const changePageSize = (size: number) => {
    pageSizeRef.current = size;
    setPageSize(size);
    go(undefined);
  };

  const pager = (
    <CursorPager
      answer={answer}
      pageSize={pageSize}
      pageSizes={pageSizes}
      onPrevious={() => answer?.previousCursor && go({ before: answer.previousCursor })}
      onNext={() => answer?.nextCursor && go({ after: answer.nextCursor })}
      onPageSize={changePageSize}
    />
  );
  return { load, pager };
}

function CursorPager(props: {
  answer: Omit<CursorListPage<unknown>, 'items'> | null;
  pageSize: number;
  pageSizes: number[];
  onPrevious: () => void;
  onNext: () => void;
  onPageSize: (size: number) => void;
}) {
  const { t } = useTranslation('common');
  const { answer } = props;
  return (
    <Flex
      justify="flex-end"
      align="center"
      gap={8}
      wrap
      style={{ padding: '12px 24px' }}
      data-testid="cursor-pager"
    >
      {answer && (
        <Typography.Text type="secondary" data-testid="cursor-pager-total">
          {answer.totalCapped
            ? t('pager.totalCapped', { figure: grouped(answer.total) })
            : t('pager.total', { figure: grouped(answer.total) })}
        </Typography.Text>
      )}
      <Button
        icon={<LeftOutlined />}
        disabled={!answer?.previousCursor}
        onClick={props.onPrevious}
        data-testid="cursor-pager-previous"
      >
        {t('pager.previous')}
      </Button>
      <Button disabled={!answer?.nextCursor} onClick={props.onNext} data-testid="cursor-pager-next">
        {t('pager.next')}
        <RightOutlined />
      </Button>
      <Select
        value={props.pageSize}
        onChange={props.onPageSize}
        options={props.pageSizes.map((n) => ({ value: n, label: t('pager.pageSize', { size: n }) }))}
        aria-label={t('pager.pageSizeLabel')}
        style={{ width: 110 }}
      />
    </Flex>
  );
}
