/**
 * Counts Table Storage round trips: a pass-through proxy in front of Azurite that tallies every
 * request by table and kind, so the bench can say how many a create or a shared flow costs.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StorageCounter {
  /** A connection string for the proxy, with the same account and key. */
  connectionString: string;
  /** Round trips by `<METHOD> <table>` since the last reset. */
  counts(): Record<string, number>;
  reset(): void;
  stop(): Promise<void>;
}

/** The table a Table service request addresses, e.g. `/devstoreaccount1/Idempotency(...)`. */
function tableOf(path: string): string {
  const segments = path.split('?')[0]?.split('/') ?? [];
  const name = segments[2] ?? '';
  return name.replace(/\(.*$/, '') || '(account)';
}

export async function startStorageCounter(tableEndpoint: string, connectionString: string) {
  const target = new URL(tableEndpoint);
  let tally = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const key = `${req.method ?? 'GET'} ${tableOf(req.url ?? '/')}`;
    tally.set(key, (tally.get(key) ?? 0) + 1);
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const counter: StorageCounter = {
    connectionString: connectionString.replace(
      `${target.protocol}//${target.host}`,
      `http://127.0.0.1:${port}`,
    ),
    counts: () => Object.fromEntries(tally),
    reset: () => {
      tally = new Map();
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return counter;
}
