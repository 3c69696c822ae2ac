import type { Queryable } from '../db/index.ts';

export async function getSetting(q: Queryable, key: string): Promise<string | null> {
  const rows = await q.query<{ value: string }>('SELECT value FROM platform_setting WHERE key = $1', [key]);
  return rows[0]?.value ?? null;
}

export async function putSetting(q: Queryable, key: string, value: string): Promise<void> {
  await q.query(
    `INSERT INTO platform_setting (key, value) VALUES ($1, $2)
     ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
    [key, value],
  );
}

/** Several settings in one read: the keys stored, with their values. */
export async function getSettings(q: Queryable, keys: string[]): Promise<Map<string, string>> {
  const rows = await q.query<{ key: string; value: string }>(
    'SELECT key, value FROM platform_setting WHERE key = ANY($1::text[])',
    [keys],
  );
  return new Map(rows.map((r) => [r.key, r.value]));
}

export async function deleteSetting(q: Queryable, key: string): Promise<void> {
  await q.query('DELETE FROM platform_setting WHERE key = $1', [key]);
}
