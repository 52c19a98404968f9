/**
 * The local Functions host as a process (what `func start` is for machines with Core Tools):
 *   tsx local/host/main.ts [--app <folder>] [--port 7071] [--task-hub <name>]
 *     [--queue-scale 0.01 [--duplicate-activities 0.1]]
 * `--queue-scale` delivers Durable messages with the Azure Storage provider's delays, scaled
 * (see durable/queues.ts); `--duplicate-activities` is the chance an activity runs twice at once.
 * Settings come from the environment, then from local.settings.json's `Values` (the environment
 * wins). When started with an IPC channel it reports `{ event: 'ready', ... }` to its parent.
 * SIGINT/SIGTERM stop it cleanly.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startLocalHost } from './host';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      app: { type: 'string', default: '.' },
      port: { type: 'string', default: '7071' },
      'task-hub': { type: 'string' },
      'queue-scale': { type: 'string' },
      'duplicate-activities': { type: 'string' },
    },
  });
  const appRoot = resolve(values.app);
  const localSettings = join(appRoot, 'local.settings.json');
  if (existsSync(localSettings)) {
    const file = JSON.parse(readFileSync(localSettings, 'utf8')) as {
      Values?: Record<string, string>;
    };
    for (const [name, value] of Object.entries(file.Values ?? {})) process.env[name] ??= value;
  }
  const storage = process.env.AzureWebJobsStorage;
  if (!storage) {
    throw new Error(
      'AzureWebJobsStorage is not set: the local host keeps its task hub in Table Storage (Azurite)',
    );
  }
  const host = await startLocalHost({
    appRoot,
    port: Number(values.port),
    storageConnectionString: storage,
    ...(values['task-hub'] ? { taskHub: values['task-hub'] } : {}),
    ...(values['queue-scale']
      ? {
          queues: {
            scale: fraction(values['queue-scale'], '--queue-scale'),
            duplicateActivities: fraction(
              values['duplicate-activities'] ?? '0',
              '--duplicate-activities',
            ),
          },
        }
      : {}),
  });
  process.stdout.write(
    `Local Functions host on ${host.url} (task hub ${host.hubName}, ${host.resumedInstances} instance(s) resumed)\n`,
  );
  for (const fn of host.functions) {
    process.stdout.write(
      `  ${fn.name}: ${fn.route ? `[${fn.methods?.join(',')}] ${host.url}${fn.route}` : fn.trigger}\n`,
    );
  }
  // Only the parent hears the system key (over IPC); it is never printed.
  process.send?.({
    event: 'ready',
    url: host.url,
    hubName: host.hubName,
    functions: host.functions,
    systemKey: host.systemKey,
    durableRpcUrl: host.durableRpcUrl,
  });
  let stopping = false;
  const stop = () => {
    // A repeated signal must not end the process before the host has stopped in order.
    if (stopping) return;
    stopping = true;
    host.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('disconnect', stop);
  // The parent asks how much memory the host holds (the bench): after a full collection when
  // Node.js runs with --expose-gc, so what is counted is what is still referenced.
  process.on('message', (message: { event?: string }) => {
    if (message.event !== 'memory') return;
    (globalThis as { gc?: () => void }).gc?.();
    process.send?.({ event: 'memory', usage: process.memoryUsage() });
  });
}

function fraction(text: string, option: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0 || value > 1) {
    throw new Error(`${option} takes a number from 0 to 1, not '${text}'`);
  }
  return value;
}

main().catch((error: unknown) => {
  process.stderr.write(
    `Local Functions host failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
