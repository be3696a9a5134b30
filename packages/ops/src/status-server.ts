/**
 * The status endpoint both apps serve (node:http, loopback by default):
 *   GET /health  liveness: 200 while the process runs; `status` says "degraded" when the app knows
 *   GET /ready   200 when the app can take new work, else 503
 *   GET /stats   JSON counters (numbers and maps of numbers, grouped by component)
 * plus /metrics and /admin/ when an OpsHandler is given (#9).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { sendJson, type OpsHandler } from './http.js';

export interface StatusSource {
  /** liveness detail; absent = "ok" */
  status?(): string;
  ready(): boolean;
  stats(): unknown;
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
      sendJson(res, 200, { status: source.status?.() ?? 'ok' });
    } else if (path === '/ready') {
      const ready = source.ready();
      const body = source.status === undefined ? { ready } : { ready, status: source.status() };
      sendJson(res, ready ? 200 : 503, body);
    } else if (path === '/stats') {
      Promise.resolve()
        .then(() => source.stats())
        .then(
          (body) => sendJson(res, 200, body),
          (err: unknown) => {
            logger.warn({ err }, 'stats failed');
            sendJson(res, 500, { error: (err as Error).message });
          },
        );
    } else {
      sendJson(res, 404, { error: 'not found' });
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
