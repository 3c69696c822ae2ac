import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/app/config.ts';
import { startPlatform } from '../../src/app/platform.ts';
import { testDatabases } from '../support/databases.ts';
import { startTestPlatform, type TestPlatform, testConfig } from '../support/platform.ts';

// "the sandbox channel is on in production": off by default with DATABASE_URL, loud when
// turned on there, registration closed to the public, keys random and sealed.

const MASTER_KEY = 'a'.repeat(64);
const PRODUCTION = { DATABASE_URL: 'postgres://qingyun@db.internal/qingyun', QY_MASTER_KEY: MASTER_KEY };
const REGISTRATION_TOKEN = 'sandbox-registration-token-for-tests-0123456789';

describe('QY_SANDBOX defaults', () => {
  it('is on for the embedded database and off with DATABASE_URL unless QY_SANDBOX=1', () => {
    expect(loadConfig({ QY_MASTER_KEY: MASTER_KEY }).sandbox).toBe(true);
    expect(loadConfig({ QY_MASTER_KEY: MASTER_KEY, QY_SANDBOX: '0' }).sandbox).toBe(false);
    expect(loadConfig(PRODUCTION).sandbox).toBe(false);
    expect(loadConfig({ ...PRODUCTION, QY_SANDBOX: '1' }).sandbox).toBe(true);
  });

  it('takes a registration token only when it is long enough to be unguessable', () => {
    expect(loadConfig(PRODUCTION).sandboxRegistrationToken).toBeUndefined();
    expect(
      loadConfig({ ...PRODUCTION, QY_SANDBOX_REGISTRATION_TOKEN: REGISTRATION_TOKEN })
        .sandboxRegistrationToken,
    ).toBe(REGISTRATION_TOKEN);
    expect(() => loadConfig({ ...PRODUCTION, QY_SANDBOX_REGISTRATION_TOKEN: 'short' })).toThrow(
      /QY_SANDBOX_REGISTRATION_TOKEN/,
    );
  });
});

describe.each(testDatabases)('the sandbox in production and its merchants on $kind', (database) => {
  // Both with the same master key: the sandbox keys must not follow from it.
  const masterKey = Buffer.from(MASTER_KEY, 'hex');
  let production: TestPlatform;
  let guarded: TestPlatform;
  const register = (url: string, body: unknown, authorization?: string) =>
    fetch(`${url}/sandbox/api/merchants`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    const env = loadConfig(PRODUCTION);
    production = await startTestPlatform(database, {
      databaseUrl: env.databaseUrl,
      sandbox: env.sandbox,
      masterKey,
    });
    guarded = await startTestPlatform(database, { masterKey, sandboxRegistrationToken: REGISTRATION_TOKEN });
  });
  afterAll(async () => {
    await guarded?.stop();
    await production?.stop();
  });

  it('does not mount the sandbox by default: /sandbox is 404', async () => {
    for (const path of ['/sandbox/api/merchants', '/sandbox/api/pay/create', '/sandbox/pay/SB1']) {
      const response = await fetch(`${production.platform.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      expect(response.status, path).toBe(404);
    }
  });

  it('warns in the log and on stderr when QY_SANDBOX=1 turns it on, and keeps registration closed', async () => {
    const lines: string[] = [];
    const log = pino(
      { level: 'warn' },
      new Writable({
        write(chunk, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      }),
    );
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    // A second node on the production database, started with QY_SANDBOX=1.
    const config = testConfig({
      databaseUrl: PRODUCTION.DATABASE_URL,
      sandbox: true,
      demo: false,
      masterKey,
    });
    const node = await startPlatform(config, {
      db: production.platform.services.db,
      log,
    });
    try {
      const warnings = lines
        .map((l) => JSON.parse(l))
        .filter((l) => /sandbox channel is mounted/.test(l.msg));
      expect(warnings).toHaveLength(1);
      expect(warnings[0].level).toBe(40);
      const banners = stderr.mock.calls.filter(([text]) =>
        /QY_SANDBOX=1 with DATABASE_URL/.test(String(text)),
      );
      expect(banners).toHaveLength(1);

      // No registration token configured: nobody registers a sandbox merchant over HTTP.
      const anonymous = await register(node.url, {});
      expect(anonymous.status).toBe(403);
      expect(await anonymous.json()).toEqual({
        code: 'AUTH_ERROR',
        msg: 'merchant registration is closed on this sandbox',
      });
    } finally {
      stderr.mockRestore();
      await node.stop();
    }
  });

  it('refuses a registration without the registration token', async () => {
    for (const authorization of [undefined, 'Bearer wrong-token', `Basic ${REGISTRATION_TOKEN}`]) {
      const refused = await register(guarded.platform.url, {}, authorization);
      expect(refused.status).toBe(401);
      const body = (await refused.json()) as Record<string, string>;
      expect(body.code).toBe('AUTH_ERROR');
      expect(body.key).toBeUndefined();
    }
  });

  it('gives a registered merchant a random key, and never hands out an existing merchant key', async () => {
    const bearer = `Bearer ${REGISTRATION_TOKEN}`;
    const first = (await (await register(guarded.platform.url, {}, bearer)).json()) as Record<string, string>;
    expect(first).toMatchObject({ code: 'SUCCESS' });
    expect(first.key).toMatch(/^[0-9a-f]{64}$/);

    // The demo's own channel account: its mchId is known to whoever sees it, its key is not given out.
    const demoAccount = (await guarded.platform.services.catalog.channelAccount(
      guarded.channelAccountIds[0]!,
    ))!;
    const demoMchId = String(demoAccount.credentials.mchId);
    const taken = await register(guarded.platform.url, { mchId: demoMchId }, bearer);
    expect(await taken.json()).toEqual({ code: 'FAIL', msg: 'MCH_ID_TAKEN', mchId: demoMchId });
  });

  it('keys the demo accounts randomly per installation and keeps them sealed at rest', async () => {
    const keysOf = async (t: TestPlatform) =>
      Promise.all(
        t.channelAccountIds.map(async (id) => {
          const account = (await t.platform.services.catalog.channelAccount(id))!;
          return { mchId: String(account.credentials.mchId), key: String(account.credentials.key) };
        }),
      );
    const a = await keysOf(production);
    const b = await keysOf(guarded);
    const all = [...a, ...b];
    for (const { key } of all) expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set(all.map((k) => k.key)).size).toBe(all.length);
    expect(new Set(all.map((k) => k.mchId)).size).toBe(all.length);

    // The sandbox's own record of the key is sealed, like the channel account's credentials.
    const rows = await guarded.platform.services.db.query<{ mch_id: string; key_enc: string }>(
      'SELECT mch_id, key_enc FROM sandbox_merchant',
    );
    for (const { mchId, key } of b) {
      const row = rows.find((r) => r.mch_id === mchId)!;
      expect(row.key_enc).not.toContain(key);
      expect(row.key_enc.length).toBeGreaterThan(key.length);
    }
  });
});
