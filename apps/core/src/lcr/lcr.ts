/**
 * Least-cost routing as a whole: carriers (probed), rate tables (reloadable) and the
 * per-call router the core's routing uses. A reload (admin API, SIGHUP, file watch) swaps
 * carriers and tables for new calls; calls in progress keep the plan they started with.
 */
import type { TransactionLayer } from '@strata/transaction';
import type { Logger } from 'pino';
import { Carriers } from './carriers.js';
import type { LcrConfig } from './lcr-config.js';
import { LcrRouter } from './lcr-router.js';
import { RateTables, type HashReader, type TableLoad } from './rate-tables.js';

export class Lcr {
  readonly carriers: Carriers;
  readonly tables: RateTables;
  readonly router: LcrRouter;
  private config: LcrConfig;

  constructor(
    config: LcrConfig,
    layer: TransactionLayer,
    from: string,
    logger: Logger,
    hgetall: HashReader | null,
  ) {
    const log = logger.child({ component: 'lcr' });
    this.config = config;
    this.carriers = new Carriers(layer, from, log);
    this.carriers.configure(config.carriers);
    this.tables = new RateTables(log, hgetall);
    this.router = new LcrRouter(config, this.carriers, this.tables, log);
  }

  /** Start the probes and load the tables (calls before the first load find no route). */
  async start(): Promise<TableLoad[]> {
    this.carriers.start();
    return this.tables.configure(this.config.tables, this.config.watch);
  }

  stop(): void {
    this.carriers.stop();
    this.tables.close();
  }

  /** New carriers, rules and tables (the tables are read again from their sources). */
  async reload(config: LcrConfig = this.config): Promise<TableLoad[]> {
    this.config = config;
    this.carriers.configure(config.carriers);
    this.router.configure(config);
    this.carriers.start();
    return this.tables.configure(config.tables, config.watch);
  }

  stats(): Record<string, unknown> {
    const tables: Record<string, unknown> = {};
    for (const name of this.tables.names()) {
      const t = this.tables.get(name)!;
      tables[name] = { prefixes: t.prefixes, routes: t.routes, bytes: t.bytes };
    }
    return {
      ...this.router.counters,
      tableReloads: this.tables.reloads,
      tables,
      carriers: this.carriers.snapshot(),
      probes: this.carriers.probes(),
    };
  }
}
