/**
 * The app's one esbuild configuration, shared by `npm run build` (what the local host and the
 * tests run, with a source map) and `npm run package` (what is deployed, without one).
 *
 * Two dependencies of `durable-functions` are taken in lighter builds, because every cold start
 * loads the whole bundle before its first answer (docs/performance.md measures it):
 * - `axios`: its own fetch-based build (the one it ships for browsers and React Native) instead
 *   of the Node.js one, which adds its http adapter, form-data and the 130 KB MIME database. The
 *   durable client only sends JSON to the Durable extension, which fetch does as well.
 * - `validator`: only `isURL`, the one function the durable client calls.
 */
import { join, resolve } from 'node:path';
import { build, type BuildOptions, type Plugin } from 'esbuild';

const ROOT = resolve(__dirname, '..');

const validatorIsUrlOnly: Plugin = {
  name: 'validator-is-url-only',
  setup(builder) {
    builder.onResolve({ filter: /^validator$/ }, () => ({
      path: join(ROOT, 'scripts', 'bundle', 'validator-is-url.js'),
    }));
  },
};

export function appBundle(outfile: string, sourcemap: boolean): BuildOptions {
  return {
    entryPoints: [join(ROOT, 'functions', 'index.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    sourcemap,
    // Provided by the Functions Node.js worker at run time.
    external: ['@azure/functions-core'],
    alias: { axios: 'axios/dist/browser/axios.cjs' },
    plugins: [validatorIsUrlOnly],
    logLevel: 'warning',
    outfile,
  };
}

if (require.main === module) {
  build(appBundle(join(ROOT, 'dist', 'app.js'), true)).catch((error: unknown) => {
    console.error(
      `npm run build failed: ${error instanceof Error ? error.message : String(error)}`,
    );
    process.exit(1);
  });
}
