import { vi } from 'vitest';
import { everyScreenSuite } from './support/every-screen.ts';

// Walks every screen, checks what a screen walk cannot (see test/support/every-screen.ts). The
// phone and English walks are files of their own so that the three walks run side by side.
vi.setConfig({ testTimeout: 300_000 });

everyScreenSuite({
  title: 'every console screen',
  walks: [{ size: 'desktop', lang: 'zh-CN' }],
  pages: true,
});
