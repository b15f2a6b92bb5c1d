// Builds the decision canvas into one IIFE script + stylesheet, committed under
// src/zhanye/decisions/static/jdm/ so the platform runs without npm. Rebuild: `npm ci && npm run build`.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';

const outDir = fileURLToPath(new URL('../../src/zhanye/decisions/static/jdm', import.meta.url));

export default defineConfig({
  plugins: [react()],
  resolve: {
    alias: {
      'monaco-editor': fileURLToPath(new URL('./src/monaco-stub.js', import.meta.url)),
      '@monaco-editor/react': fileURLToPath(new URL('./src/monaco-react-stub.jsx', import.meta.url)),
    },
  },
  define: { 'process.env.NODE_ENV': JSON.stringify('production') },
  build: {
    outDir,
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 6000,
    lib: {
      entry: fileURLToPath(new URL('./src/main.jsx', import.meta.url)),
      name: 'ZhanyeJdm',
      formats: ['iife'],
      fileName: () => 'jdm-editor.js',
    },
    rollupOptions: { output: { assetFileNames: 'jdm-editor[extname]', inlineDynamicImports: true } },
  },
});
