/**
 * Status endpoint (node:http, loopback by default), shaped like the edge's:
 *   GET /health  200 while the process runs; `status` is "degraded" while Redis fails
 *   GET /ready   200, or 503 when the store is Redis and Redis is down
 *   GET /stats   JSON counters: transactions, dialog metrics, registrations, media groups, store
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { OpsHandler } from '@strata/ops';

export interface CoreStatusSource {
  status(): 'ok' | 'degraded';
  ready(): boolean;
  stats(): Promise<unknown>;
}

export interface StatusServer {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function startStatusServer(
  options: { host: string; port: number },
  source: CoreStatusSource,
  logger: Logger,
  /** /metrics and /admin/ (#9) */
  ops: OpsHandler | null = null,
): Promise<StatusServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (ops !== null && ops(req, res, path)) return;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/health') {
      json(res, 200, { status: source.status() });
    } else if (path === '/ready') {
      const ready = source.ready();
      json(res, ready ? 200 : 503, { ready, status: source.status() });
    } else if (path === '/stats') {
      source.stats().then(
        (body) => json(res, 200, body),
        (err: unknown) => {
          logger.warn({ err }, 'stats failed');
          json(res, 500, { error: (err as Error).message });
        },
      );
    } else {
      json(res, 404, { error: 'not found' });
    }
  });
  server.keepAliveTimeout = 2_000;
  server.headersTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: options.host, port: options.port, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.unref();
  const addr = server.address() as AddressInfo;
  return {
    host: addr.address,
    port: addr.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}
