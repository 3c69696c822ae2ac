import { Writable } from 'node:stream';
import pino from 'pino';
import pretty from 'pino-pretty';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';
import { loggerOptions } from './logger.ts';

const env = { QY_MASTER_KEY: Buffer.alloc(32, 7).toString('base64') };

describe('log format', () => {
  it('is JSON unless asked, or a terminal', () => {
    // Under the test runner stdout is not a terminal.
    expect(loadConfig(env).logFormat).toBe('json');
    expect(loadConfig({ ...env, QY_LOG_FORMAT: 'pretty' }).logFormat).toBe('pretty');
    expect(() => loadConfig({ ...env, QY_LOG_FORMAT: 'yaml' })).toThrow(/QY_LOG_FORMAT/);
  });

  it('pretty: one line per event, secrets still redacted', () => {
    let out = '';
    const sink = new Writable({
      write(chunk, _encoding, done) {
        out += chunk.toString();
        done();
      },
    });
    const log = pino(
      loggerOptions('info'),
      pretty({ destination: sink, sync: true, colorize: false, singleLine: true }),
    );
    log.info({ order: 'P1', password: 'hunter2', app: { secret: 'hunter3' } }, 'order paid');
    const lines = out.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('INFO');
    expect(lines[0]).toContain('order paid');
    expect(lines[0]).not.toMatch(/hunter[23]/);
  });
});
