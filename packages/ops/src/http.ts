/**
 * The operations side of an app's status server: `GET /metrics` (Prometheus text) and the
 * admin API under `/admin/` (bearer token).
 *
 * Admin access policy (`adminPolicy`):
 *   - `admin.enabled: false` → off (404);
 *   - a token is configured → every admin request needs `Authorization: Bearer <token>`
 *     (401 otherwise), on loopback too;
 *   - no token, status server bound to a loopback address → open to local callers;
 *   - no token, bound to any other address → off: an admin API is never exposed
 *     unauthenticated on a network.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';

export type AdminPolicy = 'off' | 'open' | 'token';

export function isLoopback(host: string): boolean {
  const h = host.startsWith('[') ? host.slice(1, -1) : host;
  return h === 'localhost' || h === '::1' || h.startsWith('127.') || h === '::ffff:127.0.0.1';
}

export function adminPolicy(
  host: string,
  enabled: boolean,
  token: string | undefined,
): AdminPolicy {
  if (!enabled) return 'off';
  if (token !== undefined && token !== '') return 'token';
  return isLoopback(host) ? 'open' : 'off';
}

export interface AdminRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  /** the parsed JSON body ({} when empty) */
  body: Record<string, unknown>;
  /** path parameters captured by the route's regexp */
  params: string[];
}

export interface AdminReply {
  status: number;
  body: unknown;
}

export interface AdminRoute {
  method: 'GET' | 'POST' | 'DELETE';
  /** matched against the path after `/admin` */
  path: RegExp;
  handle(req: AdminRequest): Promise<AdminReply> | AdminReply;
}

export interface OpsHandlerOptions {
  /** Prometheus exposition; omitted → no /metrics */
  metrics?: () => Promise<{ contentType: string; body: string }>;
  admin: { policy: AdminPolicy; token: string | undefined; routes: readonly AdminRoute[] };
  logger: Logger;
}

/** (req, res, path) → true when the request was handled here. */
export type OpsHandler = (req: IncomingMessage, res: ServerResponse, path: string) => boolean;

const MAX_BODY = 64 * 1024;

export function createOpsHandler(options: OpsHandlerOptions): OpsHandler {
  const { admin, logger } = options;
  const expected = admin.token !== undefined ? Buffer.from(`Bearer ${admin.token}`) : null;
  const authorised = (req: IncomingMessage): boolean => {
    if (admin.policy === 'open') return true;
    if (expected === null) return false;
    const got = Buffer.from(req.headers.authorization ?? '');
    return got.length === expected.length && timingSafeEqual(got, expected);
  };
  return (req, res, path) => {
    if (path === '/metrics' && options.metrics !== undefined) {
      if (req.method !== 'GET' && req.method !== 'HEAD') return false;
      options.metrics().then(
        ({ contentType, body }) => {
          res.writeHead(200, {
            'content-type': contentType,
            'content-length': Buffer.byteLength(body),
            'cache-control': 'no-store',
          });
          res.end(body);
        },
        (err: unknown) => {
          logger.warn({ err }, 'metrics failed');
          sendJson(res, 500, { error: (err as Error).message });
        },
      );
      return true;
    }
    if (path !== '/admin' && !path.startsWith('/admin/')) return false;
    if (admin.policy === 'off') {
      sendJson(res, 404, { error: 'admin API disabled' });
      return true;
    }
    if (!authorised(req)) {
      res.setHeader('www-authenticate', 'Bearer realm="strata-admin"');
      sendJson(res, 401, { error: 'unauthorized' });
      return true;
    }
    const sub = path.slice('/admin'.length) || '/';
    const url = new URL(req.url ?? '/', 'http://admin');
    let methodAllowed = false;
    for (const route of admin.routes) {
      const m = route.path.exec(sub);
      if (m === null) continue;
      if (route.method !== req.method) {
        methodAllowed = true;
        continue;
      }
      readBody(req)
        .then(
          async (body) => {
            const reply = await route.handle({
              method: req.method ?? 'GET',
              path: sub,
              query: url.searchParams,
              body,
              params: m.slice(1).map((p) => decodeURIComponent(p ?? '')),
            });
            sendJson(res, reply.status, reply.body);
          },
          (err: unknown) => sendJson(res, 400, { error: (err as Error).message }),
        )
        .catch((err: unknown) => {
          logger.warn({ err, path }, 'admin request failed');
          if (!res.headersSent) sendJson(res, 500, { error: (err as Error).message });
        });
      return true;
    }
    sendJson(res, methodAllowed ? 405 : 404, {
      error: methodAllowed ? 'method not allowed' : 'not found',
    });
    return true;
  };
}

function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('error', reject);
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8').trim();
      if (text === '') return resolve({});
      try {
        const v = JSON.parse(text) as unknown;
        if (typeof v !== 'object' || v === null || Array.isArray(v))
          return reject(new Error('body must be a JSON object'));
        resolve(v as Record<string, unknown>);
      } catch {
        reject(new Error('body is not JSON'));
      }
    });
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}
