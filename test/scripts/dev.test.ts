/**
 * `npm run dev` as a newcomer uses it: one command, the seed example answered end to end against
 * the sandbox, the facts file for scripts, and Ctrl-C stopping everything it started.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { freePort } from '../../local/azurite';
import { trustingFetch } from '../../local/tls';
import { seedRequest } from '../support/seed';

jest.setTimeout(90000);

const ROOT = resolve(__dirname, '..', '..');

interface Facts {
  mode: string;
  pids: { dev: number; host: number; azurite: number };
  gateway: { baseUrl: string; referrals: string };
  sandbox: { referrals: string };
  curl: string;
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

it('serves the seed example in sandbox mode and stops everything on Ctrl-C', async () => {
  const localDir = mkdtempSync(join(tmpdir(), 'dev-'));
  const port = await freePort();
  const dev = spawn(
    process.execPath,
    [
      '--import',
      pathToFileURL(require.resolve('tsx')).href,
      join(ROOT, 'scripts', 'dev.ts'),
      '--sandbox',
      '--in-memory',
      '--port',
      String(port),
      '--local-dir',
      localDir,
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  dev.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  dev.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((done) => dev.once('exit', (code) => done(code)));
  try {
    const factsFile = join(localDir, 'dev.json');
    const facts = await waitFor(
      () =>
        existsSync(factsFile) ? (JSON.parse(readFileSync(factsFile, 'utf8')) as Facts) : undefined,
      'the facts file',
    );
    await waitFor(
      () => (output.includes('Ctrl-C stops everything') ? true : undefined),
      'the banner',
    );
    expect(facts.mode).toBe('sandbox');
    expect(output).toMatch(/SANDBOX MODE/);
    expect(facts.gateway.baseUrl).toBe(`http://127.0.0.1:${port}/api`);
    // The printed curl sends the example file kept in the project: the seed's request.
    expect(facts.curl).toContain('--data @scripts/examples/seed-shared-referral.json');
    const example = readFileSync(
      join(ROOT, 'scripts', 'examples', 'seed-shared-referral.json'),
      'utf8',
    );
    expect(JSON.parse(example)).toEqual(seedRequest());

    const key = /Idempotency-Key: ([0-9a-f-]+)/.exec(facts.curl)?.[1] as string;
    const created = await fetch(facts.gateway.referrals, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key, prefer: 'wait=20' },
      body: example,
    });
    expect(created.status).toBe(201);
    const { engagementId } = (await created.json()) as { engagementId: string };

    const sandboxFetch = trustingFetch([
      readFileSync(join(localDir, 'local-stand-ins.pem'), 'utf8'),
    ]);
    const held = (await (await sandboxFetch(facts.sandbox.referrals)).json()) as {
      value: { engagementId: string }[];
    };
    expect(held.value.filter((r) => r.engagementId === engagementId)).toHaveLength(2);

    dev.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(alive(facts.pids.host)).toBe(false);
    expect(alive(facts.pids.azurite)).toBe(false);
    expect(existsSync(factsFile)).toBe(false);
  } finally {
    if (dev.exitCode === null) dev.kill('SIGKILL');
  }
});
