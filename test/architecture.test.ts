/**
 * The house has one way through it: imports only point down the layers
 *   functions/ → shared/api/ → shared/application/ → shared/adapters/<one>/ → shared/contract/, shared/*.ts
 * and nothing deployed imports the local product, the tests or the commands. Read from the
 * sources themselves (TypeScript's own import scanner), so a new file is checked the day it lands.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

const ROOT = resolve(__dirname, '..');

interface Import {
  from: string;
  /** A project file (relative to the root), or a package name. */
  to: string;
}

function sources(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)).split(sep).join('/'));
}

function importsOf(file: string, text: string): Import[] {
  return ts.preProcessFile(text, true, true).importedFiles.map(({ fileName }) => ({
    from: file,
    to: fileName.startsWith('.')
      ? relative(ROOT, resolve(ROOT, dirname(file), fileName))
          .split(sep)
          .join('/')
      : fileName,
  }));
}

/** Where a project file sits: its layer's rank (0 is the top) and its room within the layer. */
function place(file: string): { rank: number; room: string } | undefined {
  const parts = file.split('/');
  if (parts[0] === 'functions') return { rank: 0, room: 'functions' };
  if (parts[0] !== 'shared') return undefined;
  if (parts.length === 2) return { rank: 4, room: 'foundation' };
  switch (parts[1]) {
    case 'api':
      return { rank: 1, room: 'api' };
    case 'application':
      return { rank: 2, room: 'application' };
    case 'adapters':
      return { rank: 3, room: `adapters/${parts[2]}` };
    case 'contract':
      return { rank: 4, room: 'foundation' };
    default:
      return { rank: -1, room: `unknown folder shared/${parts[1]}` };
  }
}

const HTTP_PACKAGES = new Set(['@azure/functions']);

/** Every import that breaks the house rules, described. */
export function violations(imports: Import[]): string[] {
  const found: string[] = [];
  for (const { from, to } of imports) {
    const source = place(from);
    if (!source) continue;
    if (source.rank < 0) {
      found.push(`${from}: ${source.room} is not a layer`);
      continue;
    }
    if (/^(local|test|scripts)(\/|$)/.test(to)) {
      found.push(
        `${from} imports ${to}: deployed code never imports the local product, tests or commands`,
      );
      continue;
    }
    if (HTTP_PACKAGES.has(to) && source.rank > 1) {
      found.push(`${from} imports ${to}: only the HTTP edge and functions/ know HTTP`);
      continue;
    }
    const target = place(to);
    if (!target) continue;
    if (target.rank < source.rank) {
      found.push(`${from} imports ${to}: up from ${source.room} to ${target.room}`);
    } else if (target.rank === source.rank && target.room !== source.room) {
      found.push(`${from} imports ${to}: sideways from ${source.room} to ${target.room}`);
    }
  }
  return found;
}

/** Every import of the sources in these folders. */
const importsIn = (...folders: string[]) =>
  folders
    .flatMap(sources)
    .flatMap((file) => importsOf(file, readFileSync(join(ROOT, file), 'utf8')));

const imports = importsIn('functions', 'shared');

test('imports only point down the layers, and nothing deployed imports local/, test/ or scripts/', () => {
  expect(imports.length).toBeGreaterThan(100);
  expect(violations(imports)).toEqual([]);
});

test('the check sees an import back up, sideways, to the local product and of HTTP below the edge', () => {
  expect(
    violations([
      { from: 'shared/application/create-referral.ts', to: 'shared/api/responses' },
      { from: 'shared/adapters/storage/tables.ts', to: 'shared/adapters/partner-center/client' },
      { from: 'shared/api/handler.ts', to: 'local/stand-ins' },
      { from: 'functions/services.ts', to: 'test/support/gateway' },
      { from: 'shared/application/health.ts', to: '@azure/functions' },
      { from: 'shared/contract/schema.ts', to: 'shared/adapters/caller/authenticate' },
      { from: 'shared/gateway/routes.ts', to: 'shared/config' },
    ]),
  ).toHaveLength(7);
  // Down, within a room, and to packages: fine.
  expect(
    violations([
      { from: 'functions/referrals.ts', to: 'shared/api/referral-routes' },
      { from: 'shared/api/handler.ts', to: 'shared/adapters/caller/authenticate' },
      { from: 'shared/adapters/storage/tables.ts', to: 'shared/adapters/storage/ensure-table' },
      { from: 'shared/contract/validate.ts', to: 'shared/config' },
      { from: 'shared/application/shared-referral/orchestrator.ts', to: 'durable-functions' },
    ]),
  ).toEqual([]);
});

test('the local product imports no tests, and tests are the only thing under test/', () => {
  const local = importsIn('local');
  expect(local.filter(({ to }) => to.startsWith('test/'))).toEqual([]);
  // The stand-ins model Microsoft's services from their documentation, not from the gateway.
  const standIns = local.filter(({ from }) =>
    /^local\/(partner-center-|identity-provider)/.test(from),
  );
  expect(standIns.length).toBeGreaterThan(5);
  expect(standIns.filter(({ to }) => to.startsWith('shared/'))).toEqual([]);
  expect(importsIn('scripts').filter(({ to }) => to.startsWith('test/'))).toEqual([]);
});
