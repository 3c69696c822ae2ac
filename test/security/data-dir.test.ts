import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/app/config.ts';
import { testDatabases } from '../support/databases.ts';
import { eventually } from '../support/platform.ts';
import { startQingyun, stopQingyun } from '../support/processes.ts';

// A real `qingyun start` per database: a loaded CI machine needs a while for it.
vi.setConfig({ testTimeout: 120_000 });

/** Every entry under dir with its permission bits, relative paths, the dir itself as '.'. */
function modes(dir: string): Map<string, number> {
  const found = new Map<string, number>([['.', fs.statSync(dir).mode & 0o777]]);
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const full = path.join(entry.parentPath, entry.name);
    if (entry.isFile() || entry.isDirectory())
      found.set(path.relative(dir, full), fs.statSync(full).mode & 0o777);
  }
  return found;
}

function expectOwnerOnly(dir: string) {
  const loose = [...modes(dir)].filter(([name, mode]) => {
    const isDir = fs.statSync(path.join(dir, name)).isDirectory();
    return mode !== (isDir ? 0o700 : 0o600);
  });
  expect(loose.map(([name, mode]) => `${name} ${mode.toString(8)}`)).toEqual([]);
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function tempDataDir(): string {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'qy-datadir-'));
  cleanups.push(() => fs.rmSync(parent, { recursive: true, force: true }));
  return path.join(parent, 'data');
}

describe('the embedded data dir', () => {
  it('is created 0700 with the master key 0600 on first configuration', () => {
    const dataDir = tempDataDir();
    loadConfig({ QY_DATA_DIR: dataDir });
    expect(modes(dataDir)).toEqual(
      new Map([
        ['.', 0o700],
        ['master.key', 0o600],
      ]),
    );
  });

  it('refuses a shared directory such as /tmp rather than taking it over', () => {
    expect(() => loadConfig({ QY_DATA_DIR: os.tmpdir() })).toThrow(/shared directory/);
  });
});

describe.each(testDatabases)('a start on $kind', (database) => {
  it('makes the data dir and its files owner-only; with DATABASE_URL the demo secrets stay out of the output', async () => {
    const dataDir = tempDataDir();
    // An install from before: a readable dir, key and credentials, and a leftover control file.
    fs.mkdirSync(path.join(dataDir, 'old'), { recursive: true, mode: 0o755 });
    fs.chmodSync(dataDir, 0o755);
    fs.writeFileSync(path.join(dataDir, 'old', 'notes.txt'), 'x', { mode: 0o644 });
    fs.writeFileSync(path.join(dataDir, 'control.json'), '{}', { mode: 0o644 });
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: '0',
      HOST: '127.0.0.1',
      QY_DATA_DIR: dataDir,
      QY_DEMO: '1',
      QY_SANDBOX: '1',
      LOG_LEVEL: 'info',
    };
    if (database.kind === 'postgres') {
      const scratch = await database.open();
      cleanups.push(() => scratch.dispose());
      env.DATABASE_URL = scratch.url;
      env.DATABASE_LISTEN_URL = scratch.listenUrl;
      env.QY_MASTER_KEY = randomBytes(32).toString('hex');
    } else {
      fs.writeFileSync(path.join(dataDir, 'master.key'), randomBytes(32).toString('hex'), { mode: 0o644 });
    }

    const started = await startQingyun(env);
    cleanups.push(() => stopQingyun(started, 'SIGTERM'));
    // The start's lines arrive in several writes after "running at": wait for the demo's own line
    // (printed on the embedded demo, logged without secrets on PostgreSQL) before reading them.
    await eventually(
      () => (/demo data created/i.test(started.output()) ? true : undefined),
      10_000,
      'the demo data line',
    );

    const credentialsFile = path.join(dataDir, 'demo-credentials.json');
    const credentials = JSON.parse(fs.readFileSync(credentialsFile, 'utf8'));
    const secrets = [
      credentials.operator.password,
      credentials.merchantManager.password,
      credentials.merchant.appSecret,
    ] as string[];
    const found = modes(dataDir);
    expect(found.get('.')).toBe(0o700);
    expect(found.get('demo-credentials.json')).toBe(0o600);
    if (database.kind === 'pglite') {
      // The embedded data dir holds the database and the keys: all of it is the owner's only.
      expectOwnerOnly(dataDir);
      const names = [...found.keys()];
      expect(names).toContain('old/notes.txt');
      expect(names).toContain('control.json');
      expect(names.filter((n) => n.startsWith('pgdata/')).length).toBeGreaterThan(100);
      // The embedded demo is a developer's own machine: the credentials are printed for them.
      for (const secret of secrets) expect(started.output()).toContain(secret);
    } else {
      for (const secret of secrets) expect(started.output()).not.toContain(secret);
      expect(started.output()).toContain(credentialsFile);
    }

    await stopQingyun(started, 'SIGTERM');
    // What the database wrote while it ran (and at shutdown) is owner-only too.
    if (database.kind === 'pglite') expectOwnerOnly(dataDir);
  });
});
