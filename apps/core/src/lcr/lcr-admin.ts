/**
 * Admin API for least-cost routing (under /admin/, bearer token: @strata/ops):
 *   GET  /admin/lcr                          carriers (up/down, active calls), tables, counters
 *   GET  /admin/lcr/lookup?number=&table=    the carriers a number would try, in order
 *   POST /admin/lcr/reload?table=            re-read one table (or all) from its source
 * A full reload (carriers too) is POST /admin/reload, which re-reads the config file.
 */
import type { AdminRoute } from '@strata/ops';
import type { Lcr } from './lcr.js';

export function lcrAdminRoutes(lcr: Lcr): AdminRoute[] {
  return [
    { method: 'GET', path: /^\/lcr\/?$/, handle: () => ({ status: 200, body: lcr.stats() }) },
    {
      method: 'GET',
      path: /^\/lcr\/lookup\/?$/,
      handle: ({ query }) => {
        const number = query.get('number');
        if (number === null || number === '')
          return { status: 400, body: { error: 'give number' } };
        const table = query.get('table') ?? 'default';
        const plan = lcr.router.plan(number, table);
        if (plan === null) return { status: 422, body: { error: 'not a dialable number' } };
        return {
          status: 200,
          body: {
            table,
            ...plan,
            routes: plan.routes.map((r) => ({
              ...r,
              unavailable: lcr.carriers.unavailable(r.carrier),
            })),
          },
        };
      },
    },
    {
      method: 'POST',
      path: /^\/lcr\/reload\/?$/,
      handle: async ({ query, body }) => {
        const b = body['table'];
        const table = query.get('table') ?? (typeof b === 'string' ? b : null);
        try {
          const loads =
            table === null ? await lcr.tables.reloadAll() : [await lcr.tables.reload(table)];
          return { status: 200, body: { reloaded: true, tables: loads } };
        } catch (err) {
          return { status: 422, body: { reloaded: false, error: (err as Error).message } };
        }
      },
    },
  ];
}
