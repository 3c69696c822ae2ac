import { vi } from 'vitest';
import { everyScreenSuite } from './support/every-screen.ts';

// Every console screen on a 390×844 phone, in Chinese (see test/support/every-screen.ts).
vi.setConfig({ testTimeout: 300_000 });

everyScreenSuite({
  title: 'every console screen on a phone',
  walks: [{ size: 'phone', lang: 'zh-CN' }],
  pages: false,
});
