/**
 * What loading the app's bundle costs, module by module: the bundle is built unminified (the
 * same configuration as the deployed one), loaded in a fresh Node.js process under the CPU
 * profiler, and each sample is charged to the module whose code was running (esbuild marks each
 * module's code with its path). Time outside any module's code is V8 compiling the file.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Loads a bundle as the Node.js worker does, with `@azure/functions-core` played by a stub. */
const LOADER = `
const Module = require('node:module');
const load = Module._load;
Module._load = function (request, ...rest) {
  if (request === '@azure/functions-core') {
    const none = { dispose() {} };
    return { registerHook: () => none, registerFunction: () => none, setProgrammingModel() {}, getProgrammingModel() {} };
  }
  return load.call(this, request, ...rest);
};
const started = performance.now();
require(process.argv[2]);
process.stdout.write(String(performance.now() - started));
`;

/** The loader script, written into `workDir`. */
function loaderIn(workDir: string): string {
  mkdirSync(workDir, { recursive: true });
  const loader = join(workDir, 'load-bundle.js');
  writeFileSync(loader, LOADER);
  return loader;
}

/** Milliseconds to load the bundle in a fresh process (the median of `runs`). */
export function bundleLoadMs(bundle: string, workDir: string, runs: number): number {
  const loader = loaderIn(workDir);
  const times = Array.from({ length: runs }, () =>
    Number(spawnSync(process.execPath, [loader, bundle], { encoding: 'utf8' }).stdout),
  ).sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? 0;
}

/** The module each line of an unminified esbuild bundle belongs to (its package, or its file). */
function modulesByLine(bundle: string): (string | undefined)[] {
  const owners: (string | undefined)[] = [];
  // Before the first module: esbuild's own helpers (its require), charged to their caller.
  let current: string | undefined;
  readFileSync(bundle, 'utf8')
    .split('\n')
    .forEach((line, index) => {
      const marker = /^\/\/ (\S+\.(?:[cm]?[jt]s|json))$/.exec(line);
      if (marker?.[1]) {
        const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(marker[1]);
        current = pkg?.[1] ?? marker[1].split('/').slice(0, 2).join('/');
      }
      owners[index] = current;
    });
  return owners;
}

/** Milliseconds of CPU per module while the bundle loads (the mean of `runs` profiled loads). */
export function moduleInitMs(
  bundle: string,
  workDir: string,
  runs: number,
): Record<string, number> {
  const owners = modulesByLine(bundle);
  const loader = loaderIn(workDir);
  const totals = new Map<string, number>();
  for (let run = 0; run < runs; run++) {
    const profiles = join(workDir, `profile-${run}`);
    rmSync(profiles, { recursive: true, force: true });
    spawnSync(process.execPath, [
      '--cpu-prof',
      `--cpu-prof-dir=${profiles}`,
      '--cpu-prof-interval=100',
      loader,
      bundle,
    ]);
    const file = readdirSync(profiles).find((name) => name.endsWith('.cpuprofile'));
    if (!file) throw new Error('The profiled load wrote no profile');
    const profile = JSON.parse(readFileSync(join(profiles, file), 'utf8')) as CpuProfile;
    for (const [module, us] of chargeSamples(profile, bundle, owners)) {
      totals.set(module, (totals.get(module) ?? 0) + us / 1000 / runs);
    }
  }
  return Object.fromEntries([...totals].map(([module, ms]) => [module, Math.round(ms * 10) / 10]));
}

function chargeSamples(profile: CpuProfile, bundle: string, owners: (string | undefined)[]) {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parents.set(child, node.id);
  const name = bundle.slice(bundle.lastIndexOf('/') + 1);
  const charged = new Map<string, number>();
  profile.samples.forEach((sample, index) => {
    const leaf = nodes.get(sample);
    if (!leaf || leaf.callFrame.functionName === '(idle)') return;
    let module = 'Node.js start and loading the file';
    for (let id: number | undefined = sample; id !== undefined; id = parents.get(id)) {
      const node = nodes.get(id);
      if (!node) break;
      if (node.callFrame.functionName === 'wrapSafe') {
        module = 'V8 compiling the bundle';
        break;
      }
      const owner = node.callFrame.url.endsWith(name)
        ? owners[node.callFrame.lineNumber]
        : undefined;
      if (owner) {
        module = owner;
        break;
      }
      if (node.callFrame.url.endsWith(name)) module = "the bundle's top level";
    }
    charged.set(module, (charged.get(module) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });
  return charged;
}
