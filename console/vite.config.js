// Vite builds the console into dist/, which the smsgate build embeds in the
// binary (scripts/embed_console.py). Everything is served from /console/ by
// smsgate itself: no CDN, no inline script or style (the CSP forbids them).
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/console/',
  // JSX through esbuild's automatic runtime: no Babel preset needed.
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    emptyOutDir: true,
    target: 'es2020',
    // The polyfill is a script the CSP would have to allow; every browser the
    // console supports has modulepreload.
    modulePreload: { polyfill: false },
    // Never inline assets as data: URLs; each is a file with a hashed name.
    assetsInlineLimit: 0,
    sourcemap: false,
  },
});
