/**
 * Azurite's Table service as a child process: telemetry off, on loopback, in memory or with its
 * data kept in a folder.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const DEVSTORE_ACCOUNT = 'devstoreaccount1';
// Azurite's fixed, publicly documented development key; not a secret.
export const DEVSTORE_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface RunningAzurite {
  pid: number | undefined;
  tableEndpoint: string;
  connectionString: string;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export function connectionStringFor(tableEndpoint: string): string {
  return `DefaultEndpointsProtocol=http;AccountName=${DEVSTORE_ACCOUNT};AccountKey=${DEVSTORE_KEY};TableEndpoint=${tableEndpoint};`;
}

export interface AzuriteOptions {
  /** Keep the data in this folder (default: in memory). */
  location?: string;
  /** Default: a free port. */
  port?: number;
}

export async function startAzurite(options: AzuriteOptions = {}): Promise<RunningAzurite> {
  const port = options.port ?? (await freePort());
  const main = join(
    require.resolve('azurite/package.json'),
    '..',
    'dist',
    'src',
    'table',
    'main.js',
  );
  const args = [
    main,
    '--tableHost',
    '127.0.0.1',
    '--tablePort',
    String(port),
    '--disableTelemetry',
    '--skipApiVersionCheck',
  ];
  args.push(...(options.location ? ['--location', options.location] : ['--inMemoryPersistence']));
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const collect = (chunk: Buffer) => (output += chunk.toString());
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Azurite did not start: ${output}`)), 20000);
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.stdout?.on('data', () => {
      if (output.includes('successfully')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Azurite exited with ${code}: ${output}`));
    });
  });
  // Started: its output is drained unread from now on (kept, it would grow with every request
  // and cost this process more the longer it runs).
  for (const stream of [child.stdout, child.stderr]) {
    stream?.removeAllListeners('data');
    stream?.resume();
  }
  const tableEndpoint = `http://127.0.0.1:${port}/${DEVSTORE_ACCOUNT}`;
  return {
    pid: child.pid,
    tableEndpoint,
    connectionString: connectionStringFor(tableEndpoint),
    // SIGINT is the signal on which Azurite saves its data; SIGTERM loses the last writes.
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGINT');
      }),
  };
}
