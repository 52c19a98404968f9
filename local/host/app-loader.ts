/**
 * Loads a function app as the Node.js worker does: `host.json` for the host's settings, the
 * compiled entry points named by `main` in package.json, each `require`d so that its functions
 * register themselves through `@azure/functions-core`.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { NotSupportedByLocalHost, type BindingInfo, type FunctionsCore } from './core-api';

export interface HostSettings {
  routePrefix: string;
  hubName: string;
}

/** The binding types the local host can serve; anything else is refused at start-up. */
const SUPPORTED_BINDINGS = new Set([
  'httptrigger',
  'http',
  'durableclient',
  'orchestrationclient',
  'orchestrationtrigger',
  'activitytrigger',
  'timertrigger',
]);

export function readHostSettings(appRoot: string): HostSettings {
  const hostJson = JSON.parse(readFileSync(join(appRoot, 'host.json'), 'utf8')) as {
    extensions?: { http?: { routePrefix?: string }; durableTask?: { hubName?: string } };
  };
  const hubName = hostJson.extensions?.durableTask?.hubName ?? 'TestHubName';
  if (hubName.includes('%')) {
    throw new NotSupportedByLocalHost('An app-setting reference in durableTask.hubName');
  }
  return { routePrefix: hostJson.extensions?.http?.routePrefix ?? 'api', hubName };
}

/** The files `main` names; a `*` is allowed in the file name, as the worker allows globs. */
export function entryPoints(appRoot: string): string[] {
  const pkg = JSON.parse(readFileSync(join(appRoot, 'package.json'), 'utf8')) as { main?: string };
  if (!pkg.main) throw new Error('package.json has no "main": the worker would find no functions');
  const pattern = resolve(appRoot, pkg.main);
  const dir = dirname(pattern);
  if (dir.includes('*'))
    throw new NotSupportedByLocalHost(`A "*" in the folders of main (${pkg.main})`);
  const name = basename(pattern);
  if (!name.includes('*')) return existsSync(pattern) ? [pattern] : [];
  const regex = new RegExp(`^${name.split('*').map(escapeRegExp).join('[^/]*')}$`);
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((file) => regex.test(file))
        .sort()
        .map((file) => join(dir, file))
    : [];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

export function loadApp(core: FunctionsCore, appRoot: string): void {
  const files = entryPoints(appRoot);
  if (files.length === 0) {
    throw new Error(
      `No compiled entry points match "main" in ${join(appRoot, 'package.json')}: run "npm run build" first`,
    );
  }
  // CommonJS entry points, loaded as the worker loads them.
  for (const file of files) createRequire(file)(file);
  for (const { metadata } of core.functions.values()) {
    for (const [name, binding] of Object.entries(metadata.bindings)) {
      checkBinding(metadata.name, name, binding);
    }
  }
}

function checkBinding(functionName: string, bindingName: string, binding: BindingInfo): void {
  if (!SUPPORTED_BINDINGS.has(binding.type.toLowerCase())) {
    throw new NotSupportedByLocalHost(
      `Function "${functionName}": binding "${bindingName}" of type "${binding.type}"`,
    );
  }
}
