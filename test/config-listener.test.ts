import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/app/logger.ts';
import { type Platform, startPlatform } from '../src/app/platform.ts';
import { postgresOnly, testAdminUrl } from './support/databases.ts';
import { eventually, testConfig } from './support/platform.ts';

/**
 * A deployment behind pgbouncer in transaction pooling mode that leaves DATABASE_LISTEN_URL out: its
 * configuration listener's LISTEN "succeeds" through the pooler and never hears a thing, so a change
 * made on another node would reach this one only when its caches expire. The node says so in its
 * readiness answer (and logs it once) instead of looking healthy.
 */
const pooled = process.env.TEST_DATABASE_URL !== testAdminUrl;

describe.runIf(pooled).each(postgresOnly)(
  'DATABASE_LISTEN_URL left out behind pgbouncer, on $kind',
  (database) => {
    let scratch: Awaited<ReturnType<typeof database.open>>;
    let platform: Platform;

    beforeAll(async () => {
      scratch = await database.open();
      // As configured from the environment: DATABASE_URL is pgbouncer, no DATABASE_LISTEN_URL.
      platform = await startPlatform(testConfig({ databaseUrl: scratch.url! }), {
        log: createLogger('silent'),
      });
    });

    afterAll(async () => {
      await platform?.stop();
      await scratch?.dispose();
    });

    it('answers ready, and that configuration changes from other nodes do not reach it', async () => {
      const ready = await eventually(
        async () => {
          const body = (await (await fetch(`${platform.url}/readyz`)).json()) as Record<string, unknown>;
          return body.configChanges ? body : undefined;
        },
        20_000,
        'the listener judged deaf',
      );
      expect(ready).toMatchObject({ status: 'ready', database: 'postgres', configChanges: 'not_received' });
    });
  },
);
