import { fileURLToPath } from 'node:url';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));
const libs = ['protocol', 'events', 'blacklist', 'store', 'bus', 'config'];

// Tests run on the TypeScript sources of the workspace packages, not on their build output.
const alias = Object.fromEntries(
  libs.map((lib) => [`@magicport/${lib}`, `${root}libs/${lib}/src/index.ts`]),
);

// One temporary directory per run, removed at its end (see the file).
const tempRoot = 'test/setup/temp-root.ts';

// SWC instead of esbuild: NestJS dependency injection needs decorator metadata.
const plugins = [swc.vite({ module: { type: 'es6' } })];

export default defineConfig({
  plugins,
  resolve: { alias },
  test: {
    projects: [
      {
        plugins,
        resolve: { alias },
        test: {
          name: 'unit',
          include: ['{libs,apps}/*/test/**/*.unit.spec.ts', 'test/**/*.unit.spec.ts'],
          globalSetup: [tempRoot],
        },
      },
      {
        plugins,
        resolve: { alias },
        test: {
          name: 'int',
          include: ['{libs,apps}/*/test/**/*.int.spec.ts', 'test/**/*.int.spec.ts'],
          globalSetup: [tempRoot, 'test/setup/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        plugins,
        resolve: { alias },
        test: {
          name: 'e2e',
          include: ['{libs,apps}/*/test/**/*.e2e.spec.ts', 'test/**/*.e2e.spec.ts'],
          globalSetup: [tempRoot, 'test/setup/global-setup.ts'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
