/**
 * Ban metrics (#12), registered once per node: by the single process, or by the
 * cluster primary (which decides bans for its workers). Packets dropped from banned
 * sources are `strata_edge_dropped_total{reason="banned"}` (per forwarding process).
 */
import type { Registry } from 'prom-client';
import { counterFrom, gaugeFrom } from '@strata/ops';
import type { BanList } from './ban-list.js';

export function registerBanMetrics(r: Registry, bans: BanList): void {
  gaugeFrom(r, 'strata_edge_bans_active', 'Source addresses banned now', () => bans.size);
  counterFrom(
    r,
    'strata_edge_bans_total',
    'Bans decided or applied here, by reason (auth-failures, scanner, admin)',
    () => [...bans.banned].map(([reason, n]) => [{ reason }, n] as const),
    ['reason'],
  );
}
