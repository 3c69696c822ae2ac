import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The consoles are one SPA served by the platform from dist/web. `npm run dev:web` serves it with hot
// reload and sends the API, the cashier and the sandbox to the platform on QY_DEV_API (default :3000).
const api = process.env.QY_DEV_API ?? 'http://127.0.0.1:3000';

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: { outDir: '../dist/web', emptyOutDir: true, chunkSizeWarningLimit: 4000 },
  server: {
    proxy: Object.fromEntries(['/api', '/cashier', '/sandbox', '/pay', '/docs'].map((p) => [p, api])),
  },
});
