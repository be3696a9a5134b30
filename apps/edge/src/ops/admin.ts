/**
 * The edge's admin API (#9), under /admin/ on the status server (auth: @strata/ops http.ts):
 *   GET  /admin/ring    cores, ring membership, probe state, draining cores
 *   POST /admin/drain   start draining;  GET /admin/drain  drain state
 */
import type { AdminRoute } from '@strata/ops';
import type { CoreProber } from '../core-prober.js';
import type { CoreRing } from '../ring.js';
import { ringState } from '../snapshot.js';
import type { EdgeDrain } from './drain.js';

export function edgeAdminRoutes(d: {
  ring: CoreRing;
  prober: CoreProber;
  drainingCores: () => ReadonlySet<string>;
  drain: EdgeDrain;
}): AdminRoute[] {
  return [
    {
      method: 'GET',
      path: /^\/ring\/?$/,
      handle: () => {
        const state = ringState(d.ring, d.prober);
        const draining = d.drainingCores();
        return {
          status: 200,
          body: {
            ...state,
            cores: state.cores.map((c) => ({ ...c, draining: draining.has(c.id) })),
          },
        };
      },
    },
    {
      method: 'POST',
      path: /^\/drain\/?$/,
      handle: () => ({ status: 202, body: d.drain.start('admin') }),
    },
    {
      method: 'GET',
      path: /^\/drain\/?$/,
      handle: () => ({ status: 200, body: d.drain.status() }),
    },
  ];
}
