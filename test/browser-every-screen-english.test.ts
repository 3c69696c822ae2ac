import { vi } from 'vitest';
import { everyScreenSuite } from './support/every-screen.ts';

// Every console screen at 1280×720 in English: the words (see test/support/every-screen.ts).
vi.setConfig({ testTimeout: 300_000 });

everyScreenSuite({
  title: 'every console screen in English',
  walks: [{ size: 'desktop', lang: 'en-US' }],
  pages: false,
});
