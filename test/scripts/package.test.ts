/**
 * The deployment package: built here, holding exactly what the platform runs (the bundle,
 * host.json, a package.json naming the bundle), nothing else, and loadable as it is by a Functions
 * host: the same functions register from it as from the project.
 */
import { readdirSync, readFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registeredFunctions } from '../support/registered';
import { buildPackage } from '../../scripts/package';

jest.setTimeout(90000);

const ROOT = join(__dirname, '..', '..');
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'package-'));
  await buildPackage(dir);
});

test('holds the bundle, host.json and a manifest naming the bundle, and nothing else', () => {
  expect(readdirSync(dir).sort()).toEqual(['.funcignore', 'app.js', 'host.json', 'package.json']);
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  expect(manifest.main).toBe('app.js');
  expect(manifest).not.toHaveProperty('dependencies');
  expect(manifest).not.toHaveProperty('scripts');
  expect(readFileSync(join(dir, 'host.json'), 'utf8')).toBe(
    readFileSync(join(ROOT, 'host.json'), 'utf8'),
  );
  // No source map, inline or beside it.
  expect(readFileSync(join(dir, 'app.js'), 'utf8')).not.toContain('sourceMappingURL');
});

test('a Functions host loads it as it is, with every function', async () => {
  const functions = await registeredFunctions(dir);
  const names = functions.map((f) => f.name).sort();
  expect(names).toEqual(
    expect.arrayContaining([
      'createReferral',
      'getReferral',
      'getReferralOperation',
      'getEngagement',
      'health',
      'unknownRoute',
      'sharedReferral',
      'createPartnerReferral',
      'createMicrosoftReferral',
      'purgeExpiredRecords',
    ]),
  );
});

test('azure.yaml ships that package and turns the remote build off', () => {
  const yaml = readFileSync(join(ROOT, 'azure.yaml'), 'utf8');
  expect(yaml).toMatch(/^\s+dist: dist\/package$/m);
  expect(yaml).toMatch(/^\s+remoteBuild: false$/m);
  expect(yaml).toMatch(/run: npm run package$/m);
});
