import { defineConfig } from 'vite';

/** The local cloud's edge endpoint, which the dev server borrows config.json and the token issuer from. */
const edge = process.env.IOT_LOCAL_EDGE_URL ?? 'http://127.0.0.1:4566';

/*
 * Relative asset URLs (`base: './'`), so the same build works wherever it is served: under /dashboard/ on the local
 * cloud's edge endpoint, at the root of an S3 bucket or a CloudFront distribution. JSX is Preact's.
 *
 * `vite` (the dev server, port 5173) takes config.json and the local token issuer from a running `pnpm start`, so the
 * dashboard can be worked on with hot reload against the local cloud.
 */
export default defineConfig({
  base: './',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, target: 'es2022' },
  server: {
    port: 5173,
    strictPort: true,
    proxy: {
      '/config.json': { target: edge, rewrite: () => '/dashboard/config.json' },
      '/_local': { target: edge },
    },
  },
});
