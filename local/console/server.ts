/**
 * The local product's console: a web page on loopback that shows the sandbox's side (its admin
 * API, Partner Center as Microsoft sees it) next to the gateway's (its own routes), and lets a
 * flow builder act as Microsoft and rehearse faults. The browser talks to this server only; it
 * passes `/sandbox/...` to the sandbox's admin API and `/gateway/...` to the gateway's routes, so
 * the sandbox never reads gateway state. Like the local host, it answers only requests addressed
 * to itself by a loopback name, and a change only when it comes from its own page.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { readBody } from '../http';

export interface ConsoleOptions {
  /** The sandbox's base URL (its admin API is under `/_sandbox/`). */
  sandboxBaseUrl: string;
  /** A fetch that trusts the sandbox's certificate. */
  sandboxFetch: typeof fetch;
  /** The gateway's `/api` base. */
  gatewayApi: string;
  /** A token for the gateway, when it checks callers (the local product's own). */
  gatewayToken?: string;
  port?: number;
}

export interface RunningConsole {
  url: string;
  close(): Promise<void>;
}

const PAGE = (name: string) => readFileSync(join(__dirname, name), 'utf8');
const TYPES: Record<string, string> = {
  '/': 'text/html; charset=utf-8',
  '/console.js': 'text/javascript; charset=utf-8',
  '/console.css': 'text/css; charset=utf-8',
};
const FILES: Record<string, string> = {
  '/': 'console.html',
  '/console.js': 'console.js',
  '/console.css': 'console.css',
};

export async function startConsole(options: ConsoleOptions): Promise<RunningConsole> {
  let origin = '';
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent)
        send(res, 502, { error: { code: 'consoleProxyFailed', message: String(error) } });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', origin);
    // DNS rebinding: only requests addressed to this server by a loopback name.
    if (
      req.headers.host !== new URL(origin).host &&
      req.headers.host !== `localhost:${new URL(origin).port}`
    ) {
      return send(res, 421, { error: { code: 'wrongHost', message: 'Use the console URL.' } });
    }
    const method = req.method ?? 'GET';
    if (method !== 'GET' && req.headers.origin !== undefined && req.headers.origin !== origin) {
      return send(res, 403, {
        error: { code: 'foreignOrigin', message: 'Changes come from the console page only.' },
      });
    }
    const file = FILES[url.pathname];
    if (method === 'GET' && file) {
      res.writeHead(200, {
        'content-type': TYPES[url.pathname] ?? 'text/plain',
        'cache-control': 'no-store',
        'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self'",
        'x-frame-options': 'DENY',
      });
      res.end(PAGE(file));
      return;
    }
    const body =
      method === 'GET' || method === 'DELETE' ? undefined : await readBody(req, 64 * 1024);
    if (url.pathname.startsWith('/sandbox/')) {
      const target = `${options.sandboxBaseUrl}/_sandbox/${url.pathname.slice('/sandbox/'.length)}${url.search}`;
      return relay(res, await options.sandboxFetch(target, request(method, body)));
    }
    if (url.pathname.startsWith('/gateway/')) {
      const target = `${options.gatewayApi}/${url.pathname.slice('/gateway/'.length)}${url.search}`;
      const token = options.gatewayToken;
      return relay(
        res,
        await fetch(
          target,
          request(method, body, token ? { authorization: `Bearer ${token}` } : {}),
        ),
      );
    }
    send(res, 404, { error: { code: 'notFound', message: 'No such console route.' } });
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${origin}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function request(
  method: string,
  body: string | undefined,
  headers: Record<string, string> = {},
): RequestInit {
  return {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body }),
  };
}

async function relay(res: ServerResponse, response: Response): Promise<void> {
  const text = await response.text();
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  const retryAfter = response.headers.get('retry-after');
  if (retryAfter) headers['retry-after'] = retryAfter;
  res.writeHead(response.status, headers);
  res.end(text);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}
