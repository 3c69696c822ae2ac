import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QingyunApiError, QingyunClient, verifyNotify } from '../sdk/index.ts';
import { SealedSecretError } from '../src/auth/secret-box.ts';
import { type ConsoleClient, merchantConsole, operatorConsole } from './support/console.ts';
import { testDatabases } from './support/databases.ts';
import { eventually, paidSandboxOrder, startTestPlatform, type TestPlatform } from './support/platform.ts';
import { NotifyReceiver } from './support/receiver.ts';

/**
 * Rotating an app's HMAC secret with a grace period, as Stripe does: the secret it
 * replaces still signs requests until the grace the operator or store manager picked runs out, and
 * never after; "now" (0) refuses it at once, for a leak; notifies are signed with the new one; the
 * replaced secret is kept sealed like the current one, never in plain text.
 */

interface AppView {
  appId: string;
  oldKeyExpiresAt: string | null;
}

interface Rotated {
  secret: string;
  oldKeyExpiresAt: string | null;
}

interface Refusal {
  code: string;
}

describe.each(testDatabases)('app secret rotation on $kind', (database) => {
  let t: TestPlatform;
  let operator: ConsoleClient;
  let manager: ConsoleClient;
  const receiver = new NotifyReceiver();
  let appId: string;
  let mchNo: string;
  /** The app's current secret, for the tests after the rotations. */
  let appSecret = '';

  beforeAll(async () => {
    t = await startTestPlatform(database);
    await receiver.start();
    operator = await operatorConsole(t);
    mchNo = t.demo.merchant.mchNo;
    const merchant = await t.platform.services.merchants.requireMerchant(mchNo);
    manager = await merchantConsole(t, { merchantId: merchant.id, merchantRole: 'manager' });
  });
  afterAll(async () => {
    await t?.stop();
    await receiver.stop();
  });

  const client = (secret: string) =>
    new QingyunClient({ baseUrl: t.platform.url, mchNo, appId, key: { type: 'HMAC-SHA256', secret } });

  /** What a signed request with this secret comes to: `accepted` (an unknown order is "not found"), or the refusal. */
  async function outcome(secret: string): Promise<string> {
    try {
      await client(secret).getOrderByMchOrderNo('NO-SUCH-ORDER');
      return 'no error';
    } catch (error) {
      if (!(error instanceof QingyunApiError)) throw error;
      return error.code === 'NOT_FOUND' ? 'accepted' : `${error.status} ${error.code}`;
    }
  }

  const appRow = async () =>
    (
      await t.platform.services.db.query<{
        id: bigint;
        secret_enc: string;
        previous_secret_enc: string | null;
        previous_secret_expires_at: Date | null;
      }>(
        'SELECT id, secret_enc, previous_secret_enc, previous_secret_expires_at FROM merchant_app WHERE app_id = $1',
        [appId],
      )
    )[0]!;

  it('accepts the replaced secret during a short grace and refuses it once the grace is over', async () => {
    const created = await operator.ok<{ app: AppView; secret: string }>(
      'POST',
      `/api/admin/merchants/${mchNo}/apps`,
      { name: 'rotation shop', notifyUrl: receiver.url },
    );
    appId = created.app.appId;
    expect(created.app.oldKeyExpiresAt).toBeNull();
    const first = created.secret;
    expect(await outcome(first)).toBe('accepted');

    const before = Date.now();
    const rotated = await operator.ok<Rotated & { appId: string }>(
      'POST',
      `/api/admin/apps/${appId}/rotate-secret`,
      { graceSeconds: 2 },
    );
    expect(rotated.secret).not.toBe(first);
    const expiresAt = Date.parse(rotated.oldKeyExpiresAt!);
    expect(expiresAt - before).toBeGreaterThan(1_000);
    expect(expiresAt - before).toBeLessThan(5_000);
    // Both sign while the grace lasts, and the consoles say until when.
    expect(await outcome(first)).toBe('accepted');
    expect(await outcome(rotated.secret)).toBe('accepted');
    const listed = await operator.ok<AppView[]>('GET', `/api/admin/merchants/${mchNo}/apps`);
    expect(listed.find((a) => a.appId === appId)?.oldKeyExpiresAt).toBe(rotated.oldKeyExpiresAt);

    // Past the expiry the replaced secret signs nothing, though the app's keys may still be cached.
    await eventually(async () => (Date.now() > expiresAt ? true : undefined), 6_000, 'grace over');
    expect(await outcome(first)).toBe('401 SIGNATURE_INVALID');
    expect(await outcome(rotated.secret)).toBe('accepted');
    const after = await operator.ok<AppView[]>('GET', `/api/admin/merchants/${mchNo}/apps`);
    expect(after.find((a) => a.appId === appId)?.oldKeyExpiresAt).toBeNull();
  });

  it('keeps the replaced secret sealed to its row and column, never in plain text', async () => {
    const { secret: current } = await operator.ok<Rotated>('POST', `/api/admin/apps/${appId}/rotate-secret`, {
      graceSeconds: 600,
    });
    const { secret: next } = await operator.ok<Rotated>('POST', `/api/admin/apps/${appId}/rotate-secret`, {
      graceSeconds: 600,
    });
    const row = await appRow();
    const sealed = row.previous_secret_enc!;
    // The whole row as the database holds it.
    const [{ text: wholeRow }] = (await t.platform.services.db.query<{ text: string }>(
      'SELECT m::text AS text FROM merchant_app m WHERE app_id = $1',
      [appId],
    )) as [{ text: string }];
    expect(sealed).toMatch(/^v2\.[\w-]+\.[\w-]+\.[\w-]+$/);
    for (const plain of [
      current,
      Buffer.from(current).toString('base64'),
      Buffer.from(current).toString('hex'),
    ]) {
      expect(sealed).not.toContain(plain);
      expect(wholeRow).not.toContain(plain);
    }
    const { secrets } = t.platform.services;
    expect(
      secrets.decrypt(sealed, { table: 'merchant_app', id: row.id, column: 'previous_secret_enc' }),
    ).toBe(current);
    // Bound to its column: it does not open as the current secret, nor the current one as the previous.
    expect(() =>
      secrets.decrypt(sealed, { table: 'merchant_app', id: row.id, column: 'secret_enc' }),
    ).toThrow(SealedSecretError);
    expect(() =>
      secrets.decrypt(row.secret_enc, { table: 'merchant_app', id: row.id, column: 'previous_secret_enc' }),
    ).toThrow(SealedSecretError);
    expect(await outcome(current)).toBe('accepted');
    expect(await outcome(next)).toBe('accepted');

    // "Now", for a leak: the replaced secret is refused at once and nothing of it is kept.
    const leaked = next;
    const { secret: fresh, oldKeyExpiresAt } = await operator.ok<Rotated>(
      'POST',
      `/api/admin/apps/${appId}/rotate-secret`,
      { graceSeconds: 0 },
    );
    expect(oldKeyExpiresAt).toBeNull();
    expect(await outcome(leaked)).toBe('401 SIGNATURE_INVALID');
    expect(await outcome(current)).toBe('401 SIGNATURE_INVALID');
    expect(await outcome(fresh)).toBe('accepted');
    expect(await appRow()).toMatchObject({ previous_secret_enc: null, previous_secret_expires_at: null });

    // Without a choice the replaced secret keeps a day.
    const started = Date.now();
    const rolled = await operator.ok<Rotated>('POST', `/api/admin/apps/${appId}/rotate-secret`);
    const grace = Date.parse(rolled.oldKeyExpiresAt!) - started;
    expect(grace).toBeGreaterThan(86_400_000 - 10_000);
    expect(grace).toBeLessThan(86_400_000 + 10_000);
    expect(await outcome(fresh)).toBe('accepted');
    appSecret = rolled.secret;
  });

  it('signs notifies with the new secret during the grace', async () => {
    const order = await paidSandboxOrder(client(appSecret), {
      mchOrderNo: `ROT-${Date.now()}`,
      amount: 1_234,
      subject: 'rotation notify',
    });
    const [notify] = await eventually(
      async () => {
        const got = receiver.forOrder(order.orderNo);
        return got.length > 0 ? got : undefined;
      },
      10_000,
      'the notify',
    );
    const previous = await t.platform.services.merchants.appKeys(appId);
    expect(previous?.previousSecret).not.toBeNull();
    const verifies = (secret: string) =>
      verifyNotify(notify!.headers, notify!.body, { type: 'HMAC-SHA256', secret }).ok;
    expect(verifies(appSecret)).toBe(true);
    expect(verifies(previous!.previousSecret!.secret)).toBe(false);
  });

  it("lets the store manager rotate its own app's secret with a grace, and refuses a grace out of range", async () => {
    const before = (await t.platform.services.merchants.appKeys(appId))!.secret;
    for (const graceSeconds of [-1, 7 * 86_400 + 1, 1.5, '3600']) {
      const answer = await manager.send<Refusal>('POST', `/api/merchant/apps/${appId}/rotate-secret`, {
        graceSeconds,
      });
      expect({ graceSeconds, status: answer.status, code: answer.body.code }).toEqual({
        graceSeconds,
        status: 400,
        code: 'INVALID_REQUEST',
      });
    }
    expect((await t.platform.services.merchants.appKeys(appId))!.secret).toBe(before);

    const rotated = await manager.ok<Rotated>('POST', `/api/merchant/apps/${appId}/rotate-secret`, {
      graceSeconds: 3_600,
    });
    const hour = Date.parse(rotated.oldKeyExpiresAt!) - Date.now();
    expect(hour).toBeGreaterThan(3_590_000);
    expect(hour).toBeLessThanOrEqual(3_600_000);
    expect(await outcome(before)).toBe('accepted');
    expect(await outcome(rotated.secret)).toBe('accepted');
    const apps = await manager.ok<AppView[]>('GET', '/api/merchant/apps');
    expect(apps.find((a) => a.appId === appId)?.oldKeyExpiresAt).toBe(rotated.oldKeyExpiresAt);

    await manager.ok('POST', `/api/merchant/apps/${appId}/rotate-secret`, { graceSeconds: 0 });
    expect(await outcome(before)).toBe('401 SIGNATURE_INVALID');
    expect(await outcome(rotated.secret)).toBe('401 SIGNATURE_INVALID');
  });
});
