import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * The suites that take minutes, longest first (measured on a 2-core machine running two at a time).
 * Vitest runs longest-first only from a cache a clean clone lacks, and otherwise larger files first,
 * which put the screen walks (small files, the longest suites) last, each alone on the machine at the
 * end of the run. Started first, they share the run with the short suites instead.
 */
const LONGEST_FIRST = [
  'test/browser-every-screen.test.ts',
  'test/browser-every-screen-phone.test.ts',
  'test/browser-every-screen-english.test.ts',
  'test/stats-rollups.test.ts',
  'test/browser-consoles.test.ts',
  'test/browser-agents.test.ts',
  'test/crash-recovery.test.ts',
  'test/faults.test.ts',
];

export default class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (spec: TestSpecification) => {
      const index = LONGEST_FIRST.findIndex((path) => spec.moduleId.endsWith(path));
      return index === -1 ? LONGEST_FIRST.length : index;
    };
    // A stable sort: the rest keep vitest's own order.
    return sorted.sort((a, b) => rank(a) - rank(b));
  }
}
