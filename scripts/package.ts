/**
 * `npm run package`: the deployment package azd uploads (azure.yaml: `dist: dist/package`,
 * `remoteBuild: false`): the app as one bundle, host.json, and a package.json naming the bundle as
 * `main`. Nothing else: no sources, no node_modules (everything is in the bundle), no source map.
 */
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { appBundle } from './bundle';

const ROOT = resolve(__dirname, '..');
export const PACKAGE_DIR = join(ROOT, 'dist', 'package');

export async function buildPackage(outDir = PACKAGE_DIR): Promise<void> {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  await build(appBundle(join(outDir, 'app.js'), false));
  copyFileSync(join(ROOT, 'host.json'), join(outDir, 'host.json'));
  const project = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
    engines: Record<string, string>;
  };
  const manifest = {
    name: project.name,
    version: project.version,
    private: true,
    main: 'app.js',
    engines: project.engines,
  };
  writeFileSync(join(outDir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  // What the package holds is exactly what is deployed; nothing to leave out but stray maps.
  writeFileSync(join(outDir, '.funcignore'), '*.map\nlocal.settings.json\n');
}

if (require.main === module) {
  buildPackage().then(
    () => console.log(`Deployment package written to ${PACKAGE_DIR}`),
    (error: unknown) => {
      console.error(
        `npm run package failed: ${error instanceof Error ? error.message : String(error)}`,
      );
      process.exit(1);
    },
  );
}
