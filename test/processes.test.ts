import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/app/logger.ts';
import { createServices } from '../src/app/services.ts';
import { ConsoleClient } from './support/console.ts';
import { postgresOnly } from './support/databases.ts';
import { eventually, testConfig } from './support/platform.ts';
import { type QingyunProcess, startQingyun, stopQingyun } from './support/processes.ts';

/** Connections tried to reach each API process: the primary hands new connections out in turn. */
const MAX_CONNECTIONS_TRIED = 12;

/** One kept-alive connection, so every request on it reaches the same process. */
async function readyPid(client: Client): Promise<number> {
  const answer = await client.request({ path: '/readyz', method: 'GET' });
  return ((await answer.body.json()) as { pid: number }).pid;
}

/** A connection to each of `count` different API processes, keyed by the process id that answers on it. */
async function connectionsToEach(
  url: string,
  count: number,
  exclude: number[] = [],
): Promise<Map<number, Client>> {
  const byPid = new Map<number, Client>();
  for (let tried = 0; tried < MAX_CONNECTIONS_TRIED && byPid.size < count; tried++) {
    // A connection handed to a process as it died is never answered: give up on it soon.
    const client = new Client(url, { headersTimeout: 5_000, bodyTimeout: 5_000 });
    const pid = await readyPid(client).catch(() => null);
    if (pid === null || byPid.has(pid) || exclude.includes(pid)) await client.destroy();
    else byPid.set(pid, client);
  }
  return byPid;
}

/** The platform processes the primary forked (not the TypeScript loader's helper process beside them). */
function childPids(pid: number): number[] {
  const out = execFileSync('ps', ['--ppid', String(pid), '-o', 'pid=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((line) => line.includes('cli.ts'))
    .map((line) => Number.parseInt(line.trim(), 10));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe.each(postgresOnly)('qingyun start --processes 2, on $kind', (database) => {
  let running: QingyunProcess | null = null;
  const clients: Client[] = [];
  const cleanups: (() => Promise<unknown>)[] = [];
  let operator: { username: string; password: string };

  beforeAll(async () => {
    const opened = await database.open();
    cleanups.push(() => opened.dispose());
    const masterKey = randomBytes(32);
    const services = createServices(opened.db, testConfig({ masterKey }), createLogger('silent'), () => '');
    const role = await services.roles.require({ code: 'super_admin' });
    operator = { username: 'cluster_admin', password: `pw7-${randomBytes(9).toString('base64url')}` };
    await services.consoleUsers.createUser({ area: 'operator', ...operator, roleId: BigInt(role.id) });
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qy-processes-'));
    cleanups.push(async () => fs.rmSync(dataDir, { recursive: true, force: true }));
    running = await startQingyun({
      ...process.env,
      DATABASE_URL: opened.url,
      // Through pgbouncer the LISTEN must reach PostgreSQL directly, as docs/deployment.md says.
      DATABASE_LISTEN_URL: opened.listenUrl,
      QY_MASTER_KEY: masterKey.toString('hex'),
      QY_DATA_DIR: dataDir,
      QY_PROCESSES: '2',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      QY_LOG_FORMAT: 'json',
    });
  }, 150_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => {})));
    await stopQingyun(running, 'SIGKILL');
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  });

  it('serves from two processes, shares a configuration change, restarts a dead process and stops them all', async () => {
    const platform = running!;
    expect(platform.output()).toContain('2 API processes and 1 worker process');
    expect(childPids(platform.process.pid!)).toHaveLength(3);

    // 1. Two API processes answer on the one port.
    const pinned = await connectionsToEach(platform.url, 2);
    clients.push(...pinned.values());
    expect(pinned.size).toBe(2);
    const [[pidA, clientA], [pidB, clientB]] = [...pinned.entries()] as [[number, Client], [number, Client]];
    expect(pidA).not.toBe(platform.process.pid);

    // 2. A change made through A is seen by B within its cache's 2 s: the bus told B, not the TTL.
    const site = async (client: Client) =>
      ((await (await client.request({ path: '/api/site', method: 'GET' })).body.json()) as { name: string })
        .name;
    const before = await site(clientB);
    expect(await site(clientA)).toBe(before);
    const login = new ConsoleClient(platform.url);
    expect(await login.login('operator', operator.username, operator.password)).toBe('active');
    const changed = await clientA.request({
      path: '/api/admin/settings/site',
      method: 'PUT',
      headers: { cookie: login.cookie, 'x-csrf-token': login.csrfToken, 'content-type': 'application/json' },
      body: JSON.stringify({ name: '青云 两个进程' }),
    });
    expect(changed.statusCode).toBe(200);
    await changed.body.dump();
    const changedAt = Date.now();
    expect(await site(clientA)).toBe('青云 两个进程');
    await eventually(async () => ((await site(clientB)) === '青云 两个进程' ? true : undefined), 1_500, 'B');
    expect(Date.now() - changedAt).toBeLessThan(1_500);

    // 3. A killed API process is replaced; the port keeps answering meanwhile.
    process.kill(pidB, 'SIGKILL');
    await eventually(
      () => (platform.output().includes('a platform process died; restarting it') ? true : undefined),
      10_000,
      'the restart logged',
    );
    await eventually(
      async () => ((await connectionsToEach(platform.url, 1, [pidA, pidB])).size === 1 ? true : undefined),
      60_000,
      'a restarted API process',
    );
    expect(await readyPid(clientA)).toBe(pidA);

    // 4. SIGTERM stops every process, and the primary exits 0.
    const children = childPids(platform.process.pid!);
    expect(children).toHaveLength(3);
    await stopQingyun(platform, 'SIGTERM');
    expect(platform.process.exitCode).toBe(0);
    expect(children.filter(alive)).toEqual([]);
  }, 120_000);
});
