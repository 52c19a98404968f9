/** The reference stays true: the settings table names exactly the settings the schema reads. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SettingsSchema } from '../shared/config';

const ROOT = join(__dirname, '..');

test('docs/configuration.md lists every setting of the schema, and no other', () => {
  const table = readFileSync(join(ROOT, 'docs', 'configuration.md'), 'utf8');
  const documented = [...table.matchAll(/^\| `([A-Za-z0-9_]+)`/gm)].map((m) => m[1]);
  const settings = Object.keys(SettingsSchema.shape);
  expect([...documented].sort()).toEqual([...settings].sort());
});

test('every link between the README and docs/ points at a file that exists', () => {
  const pages = [
    'README.md',
    ...[
      'api',
      'architecture',
      'configuration',
      'deploy',
      'local-product',
      'partner-center',
      'performance',
      'security',
      'shared-flow',
    ].map((p) => `docs/${p}.md`),
  ];
  for (const page of pages) {
    const text = readFileSync(join(ROOT, page), 'utf8');
    for (const [, target] of text.matchAll(/\]\(((?!https?:|#)[^)#\s]+)(#[^)]*)?\)/g)) {
      const file = join(ROOT, page, '..', target as string);
      expect([page, target, readFileSync(file).length > 0]).toEqual([page, target, true]);
    }
  }
});
