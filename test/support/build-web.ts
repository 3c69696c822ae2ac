import { ensureWebBuilt } from '../../src/app/web.ts';

/** Vitest global setup: the browser tests need the built consoles (built only when web/ changed). */
export default function setup(): void {
  ensureWebBuilt();
}
