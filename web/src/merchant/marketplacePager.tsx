import { LeftOutlined, RightOutlined } from '@ant-design/icons';
import type { ActionType } from '@ant-design/pro-components';
import { Button, Flex } from 'antd';
import { type RefObject, useCallback, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useRequestError } from '../shell/useRequestError.ts';
import type { CursorPage } from './marketplaceApi.ts';

/** The most pages a list remembers to step back through (each a cursor string). */
const MAX_PAGES_BACK = 500;

/**
 * Previous / next paging of a ProTable over a marketplace list, whose routes answer only the next
 * page's cursor (`{ items, nextCursor }`): the cursors of the pages already seen are kept, so
 * 上一页 steps back through them. Like shell/cursorPager, the cursor lives in a ref, so the table's
 * own reload reloads the page shown, and new filters start again from the first page. A failed
 * load is shown as every table's is and empties the table.
 */
export function useForwardPager(actionRef: RefObject<ActionType | null>) {
  const onRequestError = useRequestError();
  /** The cursors of the pages before the one shown; the first page's is undefined. */
  const trail = useRef<(string | undefined)[]>([]);
  const current = useRef<string | undefined>(undefined);
  const filterKey = useRef<string | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [hasPrevious, setHasPrevious] = useState(false);

  const load = useCallback(
    async <T,>(
      filters: Record<string, unknown>,
      fetchPage: (cursor: string | undefined) => Promise<CursorPage<T>>,
    ) => {
      const key = JSON.stringify(filters);
      if (key !== filterKey.current) {
        trail.current = [];
        current.current = undefined;
      }
      filterKey.current = key;
      setHasPrevious(trail.current.length > 0);
      try {
        const page = await fetchPage(current.current);
        setNext(page.nextCursor);
        return { data: page.items, success: true };
      } catch (e) {
        setNext(null);
        onRequestError(e as Error);
        return { data: [] as T[], success: false };
      }
    },
    [onRequestError],
  );

  const goNext = () => {
    if (!next) return;
    trail.current = [...trail.current, current.current].slice(-MAX_PAGES_BACK);
    current.current = next;
    actionRef.current?.reload();
  };
  const goPrevious = () => {
    if (trail.current.length === 0) return;
    current.current = trail.current[trail.current.length - 1];
    trail.current = trail.current.slice(0, -1);
    actionRef.current?.reload();
  };

  const pager = (
    <ForwardPager hasPrevious={hasPrevious} hasNext={!!next} onPrevious={goPrevious} onNext={goNext} />
  );
  return { load, pager };
}

function ForwardPager(props: {
  hasPrevious: boolean;
  hasNext: boolean;
  onPrevious: () => void;
  onNext: () => void;
}) {
  const { t } = useTranslation('common');
  return (
    <Flex
      justify="flex-end"
      align="center"
      gap={8}
      wrap
      style={{ padding: '12px 24px' }}
      data-testid="cursor-pager"
    >
      <Button
        icon={<LeftOutlined />}
        disabled={!props.hasPrevious}
        onClick={props.onPrevious}
        data-testid="cursor-pager-previous"
      >
        {t('pager.previous')}
      </Button>
      <Button disabled={!props.hasNext} onClick={props.onNext} data-testid="cursor-pager-next">
        {t('pager.next')}
        <RightOutlined />
      </Button>
    </Flex>
  );
}
