import { defineConfig } from 'vite';

// Preact's JSX through Vite's own transformer (no Babel preset needed): the
// automatic runtime imports `jsx` from preact/jsx-runtime.
export default defineConfig({
  oxc: {
    jsx: { runtime: 'automatic', importSource: 'preact' },
  },
  resolve: {
    // sharedb's client needs Node's `util.inherits` and `events` (the npm
    // `events` package, a dependency); nothing comes from a CDN.
    alias: { util: '/src/shims/util.ts' },
  },
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    // The server embeds dist/ in its binary; source maps would only add
    // weight there.
    sourcemap: false,
    target: 'es2022',
  },
  server: {
    // `npm run dev` against a local `tertulia serve` on the default port.
    proxy: {
      '/api': 'http://127.0.0.1:8080',
      '/ws': { target: 'ws://127.0.0.1:8080', ws: true },
    },
  },
});
