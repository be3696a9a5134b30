/**
 * Status endpoint (node:http, loopback by default):
 *   GET /health  liveness: 200 while the process runs
 *   GET /ready   200 when at least one core is up, else 503
 *   GET /stats   JSON counters (see README "Status endpoint"); shaped for the #9 exporter:
 *                numbers and maps of numbers only, grouped by component
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { OpsHandler } from '@strata/ops';

export interface StatusSource {
  /** at least one core is up */
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
  source: StatusSource,
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
      json(res, 200, { status: 'ok' });
    } else if (path === '/ready') {
      const ready = source.ready();
      json(res, ready ? 200 : 503, { ready });
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
  // a status endpoint must never hold the process open or be held open by idle clients
  server.keepAliveTimeout = 2_000;
  server.headersTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: options.host, port: options.port, exclusive: true }, () => {
      server.off('error', reject);
      resolve();
    });
  });
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
