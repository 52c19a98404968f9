/**
 * Starts the local Functions host as its own process, as `func start` runs the host apart from
 * the tools that start it, so it can be stopped, or killed outright and started again.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { QueueModel } from './durable/queues';
import type { HostFunction } from './host';

export interface HostProcessOptions {
  appRoot: string;
  port: number;
  env: Record<string, string>;
  taskHub?: string;
  /** Durable messages delivered with production's delays, scaled (default: at once). */
  queues?: QueueModel;
  /** Extra Node.js flags for the host process (e.g. --cpu-prof to profile it). */
  execArgv?: string[];
  /** Receives the host's output lines (default: passed through to this process). */
  output?: (line: string) => void;
}

export interface HostProcess {
  url: string;
  /** The key the public Durable management route requires. */
  systemKey: string;
  /** The loopback-only endpoint the durable client talks to. */
  durableRpcUrl: string;
  /** Every function the host learned from the app's registration. */
  functions: HostFunction[];
  child: ChildProcess;
  /** Orderly stop (SIGTERM), as Ctrl-C does. */
  stop(): Promise<void>;
  /** The process killed at once, with no chance to finish anything. */
  kill(): Promise<void>;
  /** The host's memory (after a full collection when started with --expose-gc). */
  memory(): Promise<NodeJS.MemoryUsage>;
}

const MAIN = join(__dirname, 'main.ts');

export async function startHostProcess(options: HostProcessOptions): Promise<HostProcess> {
  const args = ['--app', options.appRoot, '--port', String(options.port)];
  if (options.taskHub) args.push('--task-hub', options.taskHub);
  if (options.queues) {
    args.push('--queue-scale', String(options.queues.scale));
    args.push('--duplicate-activities', String(options.queues.duplicateActivities));
  }
  const piped = options.output !== undefined;
  const recent: string[] = [];
  const child = fork(MAIN, args, {
    cwd: options.appRoot,
    env: { ...process.env, ...options.env },
    // Resolved here: the app's folder need not have tsx.
    execArgv: [...(options.execArgv ?? []), '--import', pathToFileURL(require.resolve('tsx')).href],
    stdio: piped ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['inherit', 'inherit', 'inherit', 'ipc'],
  });
  if (piped) {
    const forward = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        if (!line) continue;
        recent.push(line);
        if (recent.length > 20) recent.shift();
        options.output?.(line);
      }
    };
    child.stdout?.on('data', forward);
    child.stderr?.on('data', forward);
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  interface Ready {
    url: string;
    functions: HostFunction[];
    systemKey: string;
    durableRpcUrl: string;
  }
  const ready = await new Promise<Ready>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('The local host did not start within 60 s')),
      60000,
    );
    child.once('message', (message: Partial<Ready> & { event?: string }) => {
      clearTimeout(timer);
      if (message.event === 'ready' && message.url) {
        resolve({
          url: message.url,
          functions: message.functions ?? [],
          systemKey: message.systemKey ?? '',
          durableRpcUrl: message.durableRpcUrl ?? '',
        });
      } else reject(new Error('The local host sent an unexpected first message'));
    });
    // 'close' comes after the output is drained, so the reason is in it.
    child.once('close', (code) => {
      clearTimeout(timer);
      const said = recent.length > 0 ? `:\n${recent.join('\n')}` : '';
      reject(new Error(`The local host exited with code ${code} before it was ready${said}`));
    });
  });
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return {
    url: ready.url,
    functions: ready.functions,
    systemKey: ready.systemKey,
    durableRpcUrl: ready.durableRpcUrl,
    child,
    stop: () => end('SIGTERM'),
    kill: () => end('SIGKILL'),
    memory: () =>
      new Promise<NodeJS.MemoryUsage>((resolve) => {
        const answer = (message: { event?: string; usage?: NodeJS.MemoryUsage }) => {
          if (message.event !== 'memory' || !message.usage) return;
          child.off('message', answer);
          resolve(message.usage);
        };
        child.on('message', answer);
        child.send({ event: 'memory' });
      }),
  };
}
