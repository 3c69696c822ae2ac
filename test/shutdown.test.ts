import { Readable } from 'node:stream';
import { Client } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { testDatabases } from './support/databases.ts';
import { startTestPlatform, type TestPlatform } from './support/platform.ts';

/**
 * A stopping platform (SIGTERM, a deploy) lets the request in flight finish and then stops at once:
 * the connection that request came on does not hold the stop for its keep-alive (72 s).
 */
describe.each(testDatabases)('stopping the platform on $kind', (database) => {
  let t: TestPlatform | null = null;
  afterAll(async () => {
    await t?.stop();
  });

  it('answers the request in flight, then closes its kept-alive connection instead of waiting it out', async () => {
    t = await startTestPlatform(database);
    const client = new Client(t.platform.url, { keepAliveTimeout: 600_000 });
    try {
      // A request whose body is still coming when the stop begins: the request is in flight.
      let finishBody: () => void = () => {};
      const rest = new Promise<void>((resolve) => {
        finishBody = resolve;
      });
      async function* body() {
        yield '{"username":"nobody",';
        await rest;
        yield '"password":"not-this-one"}';
      }
      const answer = client.request({
        path: '/api/auth/login',
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: Readable.from(body()),
      });
      await new Promise((resolve) => setTimeout(resolve, 300));

      const started = Date.now();
      const stopping = t.stop();
      t = null;
      await new Promise((resolve) => setTimeout(resolve, 300));
      finishBody();
      const response = await answer;
      // Answered by the platform (a refusal of this made-up login), not cut off: the request finished.
      expect(response.statusCode).toBeGreaterThanOrEqual(400);
      expect(response.statusCode).toBeLessThan(500);
      await response.body.dump();
      await stopping;
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await client.destroy();
    }
  });
});
