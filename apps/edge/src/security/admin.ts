/**
 * Ban list in the admin API (#12, under /admin/ with the #9 access policy):
 *   GET    /admin/bans                          live bans
 *   POST   /admin/bans?address=&seconds=&reason=  ban (default seconds: security.bans.banSeconds)
 *   DELETE /admin/bans?address=                 lift a ban
 * Changes propagate like automatic bans (workers over IPC, edge nodes through Redis).
 */
import { isIP } from 'node:net';
import type { AdminRoute } from '@strata/ops';
import type { BanList } from './ban-list.js';

export function banAdminRoutes(bans: BanList, defaultSeconds: number): AdminRoute[] {
  const addressOf = (q: URLSearchParams, body: Record<string, unknown>): string | null => {
    const a = q.get('address') ?? (typeof body.address === 'string' ? body.address : null);
    return a !== null && isIP(a) !== 0 ? a.toLowerCase() : null;
  };
  return [
    {
      method: 'GET',
      path: /^\/bans\/?$/,
      handle: () => ({ status: 200, body: { bans: bans.list() } }),
    },
    {
      method: 'POST',
      path: /^\/bans\/?$/,
      handle: (req) => {
        const address = addressOf(req.query, req.body);
        if (address === null) return { status: 400, body: { error: 'address: an IP address' } };
        const raw = req.query.get('seconds') ?? req.body.seconds;
        const seconds = raw === undefined || raw === null ? defaultSeconds : Number(raw);
        if (!Number.isFinite(seconds) || seconds <= 0)
          return { status: 400, body: { error: 'seconds: a positive number' } };
        const entry = bans.ban(address, seconds * 1000, req.query.get('reason') ?? 'admin');
        if (entry === null) return { status: 409, body: { error: 'address is trusted' } };
        return { status: 201, body: entry };
      },
    },
    {
      method: 'DELETE',
      path: /^\/bans\/?$/,
      handle: (req) => {
        const address = addressOf(req.query, req.body);
        if (address === null) return { status: 400, body: { error: 'address: an IP address' } };
        return bans.unban(address)
          ? { status: 200, body: { lifted: address } }
          : { status: 404, body: { error: 'not banned' } };
      },
    },
  ];
}
