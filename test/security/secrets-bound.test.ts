import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QingyunApiError, QingyunClient } from '../../sdk/index.ts';
import { createLogger } from '../../src/app/logger.ts';
import { type Platform, startPlatform } from '../../src/app/platform.ts';
import { totpSecretPlace } from '../../src/auth/sealed-secrets.ts';
import { SealedSecretError } from '../../src/auth/secret-box.ts';
import { testDatabases } from '../support/databases.ts';
import { sealV1 } from '../support/legacy-secrets.ts';
import { startTestPlatform, type TestPlatform, testConfig } from '../support/platform.ts';

/**
 * Someone who can write the database but does not hold the master key (a leaked backup restored
 * with edits, an SQL injection elsewhere, a careless operator) must not be able to move a sealed
 * secret from one row to another: it is sealed to its table, row and column.
 */
describe.each(testDatabases)('secrets bound to their rows on $kind', (database) => {
  const masterKey = randomBytes(32);
  let t: TestPlatform;

  beforeAll(async () => {
    t = await startTestPlatform(database, { masterKey });
  });
  afterAll(async () => {
    await t?.stop();
  });

  const sql = (text: string, params: (string | bigint)[] = []) => t.platform.services.db.query(text, params);

  function clientOf(appId: string, secret: string, baseUrl = t.platform.url) {
    return new QingyunClient({
      baseUrl,
      mchNo: t.demo.merchant.mchNo,
      appId,
      key: { type: 'HMAC-SHA256', secret },
    });
  }

  const order = (client: QingyunClient, tag: string) =>
    client.createOrder({
      mchOrderNo: `BOUND-${tag}-${Date.now()}`,
      productCode: 'sandbox_qr',
      amount: 100,
      subject: 'bound secrets',
    });

  it("an app secret copied into another app's row does not open there: that app's requests fail", async () => {
    const other = await t.platform.services.merchants.createApp(t.demo.merchant.mchNo, { name: 'Other' });
    await sql(
      `UPDATE merchant_app SET secret_enc = (SELECT secret_enc FROM merchant_app WHERE app_id = $1)
       WHERE app_id = $2`,
      [t.demo.merchant.appId, other.app.appId],
    );
    // Before secrets were bound, the copied ciphertext opened as the demo app's secret and this succeeded.
    const withCopiedSecret = await order(
      clientOf(other.app.appId, t.demo.merchant.appSecret),
      'COPIED',
    ).catch((e: unknown) => e);
    expect(withCopiedSecret).toBeInstanceOf(QingyunApiError);
    expect((withCopiedSecret as QingyunApiError).status).toBeGreaterThanOrEqual(400);
    await expect(t.platform.services.merchants.appKeys(other.app.appId)).rejects.toThrow(SealedSecretError);
    const rows = await sql('SELECT count(*)::int AS n FROM pay_order WHERE app_id = $1', [other.app.appId]);
    expect(rows[0]).toEqual({ n: 0 });
    // The row the ciphertext came from is untouched.
    expect((await order(t.client, 'SOURCE')).state).toBeTruthy();
  });

  it("channel credentials copied into another account's row do not open there", async () => {
    const catalog = t.platform.services.catalog;
    const make = (mchId: string) =>
      catalog.createChannelAccount({
        channelCode: 'sandbox',
        name: mchId,
        credentials: { mchId, key: randomBytes(16).toString('hex') },
      });
    const [source, target] = [await make('SBXCOPY0001'), await make('SBXCOPY0002')];
    await sql(
      `UPDATE channel_account SET credentials_enc = (SELECT credentials_enc FROM channel_account WHERE id = $1)
       WHERE id = $2`,
      [source.id, target.id],
    );
    await expect(catalog.channelAccount(target.id)).rejects.toThrow(SealedSecretError);
    expect((await catalog.channelAccount(source.id))!.credentials.mchId).toBe('SBXCOPY0001');
  });

  it('secrets sealed before they were bound (v1) are resealed once at start, by nodes starting together', async () => {
    const legacy = await t.platform.services.merchants.createApp(t.demo.merchant.mchNo, { name: 'Legacy' });
    const [account] = await t.platform.services.catalog.listChannelAccounts();
    const credentials = { mchId: 'SBXLEGACY01', key: randomBytes(16).toString('hex') };
    const totpSecret = 'JBSWY3DPEHPK3PXP';
    const [pem] = await sql('SELECT platform_public_key FROM merchant_app WHERE app_id = $1', [
      legacy.app.appId,
    ]);
    expect(pem).toBeTruthy();
    const { generateKeyPairSync } = await import('node:crypto');
    const privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    // The rows as a database from before this change holds them.
    await sql('UPDATE merchant_app SET secret_enc = $2, platform_private_key_enc = $3 WHERE app_id = $1', [
      legacy.app.appId,
      sealV1(masterKey, legacy.secret),
      sealV1(masterKey, privateKey),
    ]);
    await sql('UPDATE channel_account SET credentials_enc = $2 WHERE id = $1', [
      account!.id,
      sealV1(masterKey, JSON.stringify(credentials)),
    ]);
    const [admin] = await sql(`SELECT id FROM console_user WHERE username = 'admin'`);
    const adminId = (admin as { id: bigint }).id;
    await sql('UPDATE console_user SET totp_secret_enc = $2 WHERE id = $1', [
      adminId,
      sealV1(masterKey, totpSecret),
    ]);
    // Reads take bound secrets only: a v1 row is not opened outside the reseal.
    await expect(t.platform.services.merchants.appKeys(legacy.app.appId)).rejects.toThrow(/not a v2/);

    // Two nodes start at once on the same database.
    const nodes: Platform[] = await Promise.all(
      [1, 2].map(() =>
        startPlatform(testConfig({ masterKey, demo: false, role: 'api' }), {
          db: t.platform.services.db,
          log: createLogger('silent'),
        }),
      ),
    );
    try {
      const unbound = await sql(
        `SELECT (SELECT count(*) FROM merchant_app WHERE secret_enc LIKE 'v1.%' OR platform_private_key_enc LIKE 'v1.%')
              + (SELECT count(*) FROM channel_account WHERE credentials_enc LIKE 'v1.%')
              + (SELECT count(*) FROM console_user WHERE totp_secret_enc LIKE 'v1.%') AS n`,
      );
      expect(Number((unbound[0] as { n: bigint }).n)).toBe(0);

      const services = nodes[0]!.services;
      const keys = (await services.merchants.appKeys(legacy.app.appId))!;
      expect(keys.secret).toBe(legacy.secret);
      expect(keys.platformPrivateKey.export({ type: 'pkcs8', format: 'pem' }).toString()).toBe(privateKey);
      expect((await services.catalog.channelAccount(account!.id))!.credentials).toEqual(credentials);
      const [user] = await sql('SELECT totp_secret_enc FROM console_user WHERE id = $1', [adminId]);
      const sealed = (user as { totp_secret_enc: string }).totp_secret_enc;
      expect(sealed).toMatch(/^v2\./);
      expect(services.secrets.decrypt(sealed, totpSecretPlace(adminId))).toBe(totpSecret);
      // The app takes signed requests with its secret again.
      expect(
        (await order(clientOf(legacy.app.appId, legacy.secret, nodes[1]!.url), 'LEGACY')).orderNo,
      ).toBeTruthy();
    } finally {
      for (const node of nodes) await node.stop();
    }
  });
});
