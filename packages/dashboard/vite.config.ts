import { defineConfig } from 'vite';

/*
 * Relative asset URLs (`base: './'`), so the same build works wherever it is served: under /dashboard/ on the local
 * cloud's edge endpoint, at the root of an S3 bucket or a CloudFront distribution. JSX is Preact's, through esbuild.
 */
export default defineConfig({
  base: './',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, target: 'es2022' },
  server: { port: 5173, strictPort: true },
});
