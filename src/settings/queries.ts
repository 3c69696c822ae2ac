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
