import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lockDataDir } from './index.ts';

describe('embedded data directory lock', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qy-lock-'));
  const dataDir = path.join(dir, 'pgdata');
  afterEach(() => fs.rmSync(`${dataDir}.lock`, { force: true }));

  it('refuses a second open while the first holds it, and frees it on release', () => {
    const release = lockDataDir(dataDir);
    expect(() => lockDataDir(dataDir)).toThrow(/already open in this process/);
    release();
    lockDataDir(dataDir)();
  });

  it('refuses a lock held by another live process', () => {
    fs.writeFileSync(`${dataDir}.lock`, String(process.ppid));
    expect(() => lockDataDir(dataDir)).toThrow(new RegExp(`in use by process ${process.ppid}`));
  });

  it('takes over a lock left by a dead process', () => {
    fs.writeFileSync(`${dataDir}.lock`, '2147483646');
    const release = lockDataDir(dataDir);
    expect(fs.readFileSync(`${dataDir}.lock`, 'utf8')).toBe(String(process.pid));
    release();
  });
});
