/**
 * `npm run dev` as a newcomer uses it: one command, the seed example answered end to end against
 * the sandbox, the facts file for scripts, Ctrl-C stopping everything it started, instances that
 * keep apart, and a restart that keeps what was created.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { freePort } from '../../local/azurite';
import { trustingFetch } from '../../local/tls';
import { seedRequest } from '../support/seed';

jest.setTimeout(120000);

const ROOT = resolve(__dirname, '..', '..');

interface Facts {
  mode: string;
  stateDir: string;
  pids: { dev: number; host: number; azurite: number };
  gateway: { baseUrl: string; referrals: string };
  sandbox: { referrals: string };
  curl: string;
}

interface Dev {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  factsFile: string;
  /** The facts once the banner is printed. */
  ready(): Promise<Facts>;
  /** Ctrl-C; resolves with the exit code. */
  stop(): Promise<number | null>;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function waitFor<T>(read: () => T | undefined, what: string, ms = 60000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function startDev(localDir: string, port: number, ...flags: string[]): Dev {
  const child = spawn(
    process.execPath,
    [
      '--import',
      pathToFileURL(require.resolve('tsx')).href,
      join(ROOT, 'scripts', 'dev.ts'),
      '--sandbox',
      '--port',
      String(port),
      '--local-dir',
      localDir,
      ...flags,
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const factsFile = join(localDir, String(port), 'dev.json');
  return {
    child,
    output: () => output,
    exited,
    factsFile,
    async ready() {
      await waitFor(
        () => (output.includes('Ctrl-C stops everything') ? true : undefined),
        `the banner (output so far: ${output})`,
      );
      return JSON.parse(readFileSync(factsFile, 'utf8')) as Facts;
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGINT');
      return exited;
    },
  };
}

const running: Dev[] = [];
afterEach(() => {
  for (const dev of running.splice(0)) if (dev.child.exitCode === null) dev.child.kill('SIGKILL');
});

function dev(localDir: string, port: number, ...flags: string[]): Dev {
  const started = startDev(localDir, port, ...flags);
  running.push(started);
  return started;
}

async function createSeed(facts: Facts): Promise<string> {
  const key = /Idempotency-Key: ([0-9a-f-]+)/.exec(facts.curl)?.[1] as string;
  const created = await fetch(facts.gateway.referrals, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': key, prefer: 'wait=20' },
    body: readFileSync(join(ROOT, 'scripts', 'examples', 'seed-shared-referral.json'), 'utf8'),
  });
  expect(created.status).toBe(201);
  return ((await created.json()) as { engagementId: string }).engagementId;
}

async function sandboxHolds(facts: Facts, engagementId: string): Promise<number> {
  const sandboxFetch = trustingFetch([
    readFileSync(join(facts.stateDir, 'local-stand-ins.pem'), 'utf8'),
  ]);
  const held = (await (await sandboxFetch(facts.sandbox.referrals)).json()) as {
    value: { engagementId: string }[];
  };
  return held.value.filter((r) => r.engagementId === engagementId).length;
}

it('serves the seed example in sandbox mode and stops everything on Ctrl-C', async () => {
  const localDir = mkdtempSync(join(tmpdir(), 'dev-'));
  const port = await freePort();
  const instance = dev(localDir, port, '--in-memory');
  const facts = await instance.ready();

  expect(facts.mode).toBe('sandbox');
  expect(instance.output()).toMatch(/SANDBOX MODE/);
  expect(facts.gateway.baseUrl).toBe(`http://127.0.0.1:${port}/api`);
  // The printed curl sends the example file kept in the project: the seed's request.
  expect(facts.curl).toContain('--data @scripts/examples/seed-shared-referral.json');
  const example = readFileSync(
    join(ROOT, 'scripts', 'examples', 'seed-shared-referral.json'),
    'utf8',
  );
  expect(JSON.parse(example)).toEqual(seedRequest());

  const engagementId = await createSeed(facts);
  expect(await sandboxHolds(facts, engagementId)).toBe(2);

  // Ctrl-C reaches the process twice (the terminal's, and the one tsx relays): still an orderly stop.
  instance.child.kill('SIGINT');
  instance.child.kill('SIGINT');
  expect(await instance.exited).toBe(0);
  expect(alive(facts.pids.host)).toBe(false);
  expect(alive(facts.pids.azurite)).toBe(false);
  expect(existsSync(instance.factsFile)).toBe(false);
});

it('keeps instances apart, names the way out of a busy port, and keeps data across a restart', async () => {
  const localDir = mkdtempSync(join(tmpdir(), 'dev-'));
  const [first, second] = [await freePort(), await freePort()];
  const one = dev(localDir, first);
  const facts = await one.ready();
  const engagementId = await createSeed(facts);

  // The same port again: refused with the exact command that works.
  const busy = dev(localDir, first);
  expect(await busy.exited).toBe(1);
  expect(busy.output()).toContain(`npm run dev -- --port ${first + 1}`);

  // Another instance in the same checkout: its own facts and data; stopping it leaves ours.
  const two = dev(localDir, second, '--in-memory');
  const otherFacts = await two.ready();
  expect(otherFacts.stateDir).not.toBe(facts.stateDir);
  expect(await two.stop()).toBe(0);
  expect(existsSync(one.factsFile)).toBe(true);

  // Stopped and started again: the engagement's referrals are still in the sandbox.
  expect(await one.stop()).toBe(0);
  const again = dev(localDir, first);
  const restarted = await again.ready();
  expect(await sandboxHolds(restarted, engagementId)).toBe(2);
  const engagement = await fetch(
    `${restarted.gateway.baseUrl}/engagements/${engagementId}?refresh=true`,
  );
  expect(engagement.status).toBe(200);
  const body = (await engagement.json()) as { referrals: { status: string }[] };
  expect(body.referrals.map((r) => r.status)).toEqual(['New', 'New']);
  expect(await again.stop()).toBe(0);
});
