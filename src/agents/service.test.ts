import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_DEPTH, parseMaxDepth } from './service.ts';

describe('the agents.maxDepth setting', () => {
  it('is a whole number of levels from 1 to 10, else the default of 3', () => {
    expect(DEFAULT_MAX_DEPTH).toBe(3);
    expect(parseMaxDepth(null)).toBe(3);
    expect(parseMaxDepth('1')).toBe(1);
    expect(parseMaxDepth('5')).toBe(5);
    for (const bad of ['0', '-2', '2.5', '11', 'deep', '']) expect(parseMaxDepth(bad)).toBe(3);
  });
});
