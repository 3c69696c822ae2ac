import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

// The consoles are one SPA served by the platform from dist/web. `npm run dev:web` serves it with hot
// reload and sends the API, the cashier and the sandbox to the platform on QY_DEV_API (default :3000).
const api = process.env.QY_DEV_API ?? 'http://127.0.0.1:3000';
const outDir = path.resolve(import.meta.dirname, '../dist/web');

const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

/**
 * Writes NAME.br and NAME.gz next to every built asset worth compressing, so the platform serves
 * them precompressed (@fastify/static `preCompressed`) instead of compressing on each request.
 */
function precompress(): Plugin {
  return {
    name: 'qy-precompress',
    apply: 'build',
    async writeBundle() {
      const dir = path.join(outDir, 'assets');
      const files = fs.readdirSync(dir).filter((f) => /\.(js|css|svg|html|json|txt)$/.test(f));
      await Promise.all(
        files.map(async (name) => {
          const file = path.join(dir, name);
          const raw = await fs.promises.readFile(file);
          if (raw.length < 1024) return;
          const [br, gz] = await Promise.all([
            brotli(raw, {
              params: {
                [zlib.constants.BROTLI_PARAM_QUALITY]: zlib.constants.BROTLI_MAX_QUALITY,
                [zlib.constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
              },
            }),
            gzip(raw, { level: zlib.constants.Z_BEST_COMPRESSION }),
          ]);
          await Promise.all([
            fs.promises.writeFile(`${file}.br`, br),
            fs.promises.writeFile(`${file}.gz`, gz),
          ]);
        }),
      );
    },
  };
}

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react(), precompress()],
  build: {
    outDir,
    emptyOutDir: true,
    chunkSizeWarningLimit: 4000,
    rolldownOptions: {
      output: {
        // echarts and zrender make one chunk of their own, loaded only by the dashboards; the rest is
        // split per screen (lazy routes), so a list loads the table code and the login page neither.
        codeSplitting: {
          groups: [{ name: 'charts', test: /node_modules[\\/](echarts|zrender)[\\/]/ }],
        },
      },
    },
  },
  server: {
    proxy: Object.fromEntries(['/api', '/cashier', '/sandbox', '/pay', '/docs'].map((p) => [p, api])),
  },
});
