import type { Db } from '../db/index.ts';
import * as queries from './queries.ts';
import type { SecretBox, SecretPlace } from './secret-box.ts';

/** Where a console user's TOTP secret is sealed: it opens only in that user's row. */
export function totpSecretPlace(userId: bigint): SecretPlace {
  return { table: 'console_user', id: userId, column: 'totp_secret_enc' };
}

/**
 * Seals again, bound to their rows, TOTP secrets written before secrets were bound (v1). Runs at
 * every start after the migrations; finds nothing once done. Returns how many it resealed.
 */
export async function resealUnboundTotpSecrets(db: Db, secrets: SecretBox): Promise<number> {
  let resealed = 0;
  for (const row of await queries.usersWithUnboundTotpSecrets(db)) {
    const place = totpSecretPlace(row.id);
    const now = secrets.encrypt(secrets.openUnbound(row.totp_secret_enc, place), place);
    if (await queries.resealTotpSecret(db, row.id, row.totp_secret_enc, now)) resealed++;
  }
  return resealed;
}
