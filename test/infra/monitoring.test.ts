/**
 * The alert rules and the workbook, read from the compiled templates: every query reads only
 * events the app logs and fields its log lines carry, so a renamed event or field breaks this
 * test, not an operator's alert in silence.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const COMPILED = join(ROOT, 'dist', 'infra', 'main.json');
if (!existsSync(COMPILED)) {
  throw new Error('dist/infra/main.json is missing: run npm run infra (npm test does)');
}

interface Resource {
  type: string;
  name: string;
  copy?: { count: string; input?: unknown };
  properties: Record<string, unknown> & {
    template?: { resources: Resource[]; variables?: Record<string, unknown> };
  };
}

const main = JSON.parse(readFileSync(COMPILED, 'utf8')) as { resources: Resource[] };
const monitoring = main.resources.find((r) => r.name === 'monitoring')?.properties.template;
if (!monitoring) throw new Error('no monitoring module');
const variables = monitoring.variables ?? {};

/** ARM keeps `events` as a variable and each query as a format() expression over it. */
const FORMAT = /^\[format\('\{0\}(.*)', variables\('events'\)\)\]$/s;
const eventsPrefix = String(variables.events);
const queriesOf = (name: string) =>
  (variables[name] as { query: string }[]).map(({ query }) => {
    const inner = FORMAT.exec(query)?.[1];
    if (inner === undefined) throw new Error(`unexpected query form: ${query.slice(0, 80)}`);
    return `${eventsPrefix}${inner}`;
  });

const alertQueries = queriesOf('alerts');
const workbookQueries = queriesOf('workbookQueries');

/** Every .ts file under a folder. */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const code = [...sources(join(ROOT, 'shared')), ...sources(join(ROOT, 'functions'))]
  .map((file) => readFileSync(file, 'utf8'))
  .join('\n');
const EMITTED = new Set(
  [...code.matchAll(/\.(?:info|warn|error)\(\s*'([a-zA-Z]+\.[a-zA-Z.]+)'/g)].map((m) => m[1]),
);
const logging = readFileSync(join(ROOT, 'shared', 'logging.ts'), 'utf8');
const fieldsBlock = /export interface LogFields \{([\s\S]*?)\n\}/.exec(logging)?.[1] ?? '';
const FIELDS = new Set([
  'event',
  ...[...fieldsBlock.matchAll(/^\s+([a-zA-Z]+)\?:/gm)].map((m) => m[1]),
]);

const eventsNamed = (query: string) =>
  [...query.matchAll(/tostring\(e\.event\)\s*(?:==\s*"([^"]+)"|in\s*\(([^)]*)\))/g)].flatMap((m) =>
    m[1] ? [m[1]] : (m[2] ?? '').split(',').map((s) => s.trim().replace(/"/g, '')),
  );
const fieldsNamed = (query: string) => [...query.matchAll(/\be\.([a-zA-Z]+)/g)].map((m) => m[1]);

test('there are four alert rules and a workbook of four queries', () => {
  expect(alertQueries).toHaveLength(4);
  expect(workbookQueries).toHaveLength(4);
  const types = monitoring.resources.map((r) => r.type);
  expect(types).toContain('Microsoft.Insights/scheduledQueryRules');
  expect(types).toContain('Microsoft.Insights/workbooks');
});

test.each([...alertQueries, ...workbookQueries].map((q) => [q.slice(eventsPrefix.length, 90), q]))(
  'the query %s… reads only events the app logs and fields it writes',
  (_short, query) => {
    const events = eventsNamed(query);
    expect(events.length).toBeGreaterThan(0);
    for (const event of events) expect([event, EMITTED.has(event)]).toEqual([event, true]);
    for (const field of fieldsNamed(query))
      expect([field, FIELDS.has(field)]).toEqual([field, true]);
  },
);

test('the check itself would catch a query reading an event or a field nobody writes', () => {
  expect(EMITTED.has('referral.created')).toBe(true);
  expect(EMITTED.has('referral.deleted')).toBe(false);
  expect(FIELDS.has('referralType')).toBe(true);
  expect(FIELDS.has('customerName')).toBe(false);
  expect(eventsNamed('x | where tostring(e.event) in ("a.b", "c.d")')).toEqual(['a.b', 'c.d']);
});
