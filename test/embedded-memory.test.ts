import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { type QingyunProcess, startQingyun, stopQingyun } from './support/processes.ts';

const ROOT = path.resolve(import.meta.dirname, '..');

/** What `npm start` may hold once it has started, made its demo and idled (issue 18). */
const IDLE_RSS_LIMIT_MB = 300;
const IDLE_MS = 30_000;
/** Readings a second apart; their median is the figure, so one garbage collection in flight does not decide. */
const READINGS = 5;

// A first start runs initdb, the migrations and the demo; a loaded 2-core machine needs minutes.
vi.setConfig({ testTimeout: 360_000 });

function residentMb(pid: number): number {
  return Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim()) / 1024;
}

describe('the embedded mode', () => {
  let running: QingyunProcess | null = null;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qy-embedded-memory-'));
  afterAll(async () => {
    await stopQingyun(running, 'SIGTERM');
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it(`idles in at most ${IDLE_RSS_LIMIT_MB} MB after a first start with its demo`, async () => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      QY_DATA_DIR: dataDir,
      QY_MASTER_KEY: randomBytes(32).toString('hex'),
      QY_LOG_FORMAT: 'json',
    };
    delete env.DATABASE_URL;
    delete env.NODE_OPTIONS;
    // Node's flags exactly as `npm start` passes them (package.json), then startQingyun's own command.
    const script: string = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts.start;
    const nodeFlags = script.split(/\s+/).slice(1, script.split(/\s+/).indexOf('--import'));
    running = await startQingyun(env, 300_000, nodeFlags);
    expect(fs.existsSync(path.join(dataDir, 'demo-credentials.json'))).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    const readings: number[] = [];
    for (let i = 0; i < READINGS; i++) {
      readings.push(residentMb(running.process.pid!));
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
    readings.sort((a, b) => a - b);
    const idle = readings[Math.floor(READINGS / 2)]!;
    console.info(`embedded idle resident memory: ${Math.round(idle)} MB (limit ${IDLE_RSS_LIMIT_MB} MB)`);
    expect(idle, `resident MB, a second apart: ${readings.map(Math.round).join(', ')}`).toBeLessThanOrEqual(
      IDLE_RSS_LIMIT_MB,
    );
  });
});
