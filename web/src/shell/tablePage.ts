import { useCallback } from 'react';
import { api, qs } from '../api.ts';
import { useRequestError } from './useRequestError.ts';

/** What a list endpoint answers: one page of rows and how many match in all. */
export interface ListPage<T> {
  items: T[];
  total: number;
}

/** The part of ProTable's `request` parameters that says which page: 1-based, and its size. */
interface TablePage {
  current?: number;
  pageSize?: number;
}

type Filters = Parameters<typeof qs>[0];

/**
 * Loads the page a ProTable asks for from a list endpoint that pages by limit and offset, in the
 * shape `request` returns. A failure throws: the table's onRequestError shows it.
 */
export async function fetchTablePage<T>(path: string, filters: Filters, page: TablePage) {
  const pageSize = page.pageSize ?? 20;
  const offset = ((page.current ?? 1) - 1) * pageSize;
  const answer = await api.get<ListPage<T>>(`${path}${qs({ ...filters, limit: pageSize, offset })}`);
  return { data: answer.items, total: answer.total, success: true };
}

/**
 * fetchTablePage for the merchant portal's tables: a failed load is shown like any table's (the
 * shell handles a 401) and empties the table, so no rows stand under filters they do not match.
 */
export function useTablePageLoader() {
  const onRequestError = useRequestError();
  return useCallback(
    async <T>(path: string, filters: Filters, page: TablePage) => {
      try {
        return await fetchTablePage<T>(path, filters, page);
      } catch (e) {
        onRequestError(e as Error);
        return { data: [] as T[], total: 0, success: false };
      }
    },
    [onRequestError],
  );
}
