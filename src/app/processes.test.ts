import { describe, expect, it } from 'vitest';
import { defaultProcessCount, MAX_PROCESSES, processSlots, restartDelayMs } from './processes.ts';

describe('the processes of one node', () => {
  it('runs one API process per core, at most eight', () => {
    expect(defaultProcessCount(1)).toBe(1);
    expect(defaultProcessCount(2)).toBe(2);
    expect(defaultProcessCount(64)).toBe(MAX_PROCESSES);
  });

  it('adds the worker process unless the role is api', () => {
    expect(processSlots('all', 2)).toEqual([
      { role: 'api', index: 1 },
      { role: 'api', index: 2 },
      { role: 'worker', index: 0 },
    ]);
    expect(processSlots('api', 2).map((s) => s.role)).toEqual(['api', 'api']);
    expect(processSlots('worker', 2)).toEqual([{ role: 'worker', index: 0 }]);
  });

  it('waits longer before each restart of a process that keeps dying, up to 30 s', () => {
    expect([1, 2, 3, 4].map(restartDelayMs)).toEqual([250, 500, 1_000, 2_000]);
    expect(restartDelayMs(20)).toBe(30_000);
  });
});
