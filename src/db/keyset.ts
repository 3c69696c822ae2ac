/**
 * Keyset paging shared by the lists that page by cursor (the order lists, a merchant's fund flow):
 * newest first, a page after (older than) or before (newer than) a row named by its key.
 */

/** Where a page starts: after (older than) or before (newer than) the row with this key. */
export type PageCursor = { after: string } | { before: string };

/** A page and the cursors of the pages either side of it (null: none). */
export interface KeysetPage<T> {
  rows: T[];
  /** The older page: pass as `after`. */
  nextCursor: string | null;
  /** The newer page: pass as `before`. */
  previousCursor: string | null;
}

/**
 * A page from what was read with one row more than `limit`: newest first, or, before a cursor,
 * oldest first (handed back newest first). The extra row says whether more lie in the direction
 * read; the page we came from lies the other way.
 */
export function keysetPage<T>(
  read: T[],
  limit: number,
  cursor: PageCursor | undefined,
  keyOf: (row: T) => string,
): KeysetPage<T> {
  const newer = cursor !== undefined && 'before' in cursor;
  const more = read.length > limit;
  const rows = newer ? read.slice(0, limit).reverse() : read.slice(0, limit);
  const first = rows.length ? keyOf(rows[0]!) : null;
  const last = rows.length ? keyOf(rows.at(-1)!) : null;
  if (newer) return { rows, nextCursor: last, previousCursor: more ? first : null };
  return { rows, nextCursor: more ? last : null, previousCursor: cursor === undefined ? null : first };
}
