/**
 * The named rate tables and their reloads: each table comes from a CSV file or a Redis
 * hash; a reload builds the new table aside and swaps it in whole, so a lookup sees the
 * old table or the new one, never a mix. A bad source keeps the running table.
 * With `watch`, a change to a table's CSV file reloads that table (debounced).
 */
import { watch, type FSWatcher } from 'node:fs';
import type { Logger } from 'pino';
import type { RateTableConfig } from './lcr-config.js';
import { loadCsvFile, loadHash, type LoadReport } from './rate-loader.js';
import { RateTable, RateTableBuilder } from './rate-table.js';

export interface TableLoad {
  table: string;
  prefixes: number;
  routes: number;
  ms: number;
  report: LoadReport;
}

export type HashReader = (key: string) => Promise<Record<string, string>>;

const DEBOUNCE_MS = 200;
/** a table that failed to load at (re)configuration is tried again this often */
const RETRY_MS = 1000;

export class RateTables {
  private readonly tables = new Map<string, RateTable>();
  private configs: Readonly<Record<string, RateTableConfig>> = {};
  private readonly watchers = new Map<string, FSWatcher>();
  private readonly debounce = new Map<string, NodeJS.Timeout>();
  private readonly retries = new Map<string, NodeJS.Timeout>();
  /** completed reloads (admin, file watch, config reload) */
  reloads = 0;

  constructor(
    private readonly logger: Logger,
    private readonly hgetall: HashReader | null = null,
  ) {}

  get(name: string): RateTable | undefined {
    return this.tables.get(name);
  }

  names(): string[] {
    return [...this.tables.keys()];
  }

  /** New table configs: load every table; tables no longer configured are dropped. */
  async configure(
    configs: Readonly<Record<string, RateTableConfig>>,
    watchFiles: boolean,
  ): Promise<TableLoad[]> {
    this.configs = configs;
    for (const name of this.tables.keys()) if (!(name in configs)) this.tables.delete(name);
    this.unwatch();
    const loads: TableLoad[] = [];
    for (const name of Object.keys(configs)) {
      try {
        loads.push(await this.reload(name));
      } catch (err) {
        // e.g. Redis not connected yet at start: keep trying until it loads or the config changes
        this.logger.error({ err, table: name }, 'rate table not loaded: kept the running one');
        this.retry(name);
      }
    }
    if (watchFiles) this.watchAll();
    return loads;
  }

  /** Re-read one table from its source and swap it in. Throws when the source fails. */
  async reload(name: string): Promise<TableLoad> {
    const c = this.configs[name];
    if (c === undefined) throw new Error(`no rate table ${name}`);
    const t0 = performance.now();
    let table: RateTable;
    let report: LoadReport;
    if (c.csv !== undefined) ({ table, report } = await loadCsvFile(c.csv));
    else if (c.redisKey !== undefined) {
      if (this.hgetall === null) throw new Error(`rate table ${name}: redisKey needs store: redis`);
      const builder = new RateTableBuilder();
      report = await loadHash(await this.hgetall(c.redisKey), builder);
      table = builder.build();
    } else {
      table = RateTable.empty();
      report = { rows: 0, bad: 0, errors: [] };
    }
    this.tables.set(name, table);
    this.reloads++;
    const load = {
      table: name,
      prefixes: table.prefixes,
      routes: table.routes,
      ms: Math.round(performance.now() - t0),
      report,
    };
    this.logger.info(load, 'rate table loaded');
    return load;
  }

  /** Reload every configured table. */
  async reloadAll(): Promise<TableLoad[]> {
    const loads: TableLoad[] = [];
    for (const name of Object.keys(this.configs)) loads.push(await this.reload(name));
    return loads;
  }

  close(): void {
    this.unwatch();
  }

  private watchAll(): void {
    for (const [name, c] of Object.entries(this.configs)) {
      if (c.csv === undefined) continue;
      try {
        const w = watch(c.csv, () => this.changed(name));
        w.on('error', (err) => this.logger.warn({ err, table: name }, 'rate file watch failed'));
        w.unref();
        this.watchers.set(name, w);
      } catch (err) {
        this.logger.warn({ err, table: name, file: c.csv }, 'rate file not watched');
      }
    }
  }

  /** Editors write in several steps (truncate, write, rename): wait for quiet first. */
  private changed(name: string): void {
    clearTimeout(this.debounce.get(name));
    const t = setTimeout(() => {
      this.debounce.delete(name);
      this.reload(name)
        .then(() => {
          // a rename replaced the file: watch the new one
          this.watchers.get(name)?.close();
          this.watchers.delete(name);
          const c = this.configs[name];
          if (c?.csv === undefined) return;
          try {
            const w = watch(c.csv, () => this.changed(name));
            w.on('error', () => {});
            w.unref();
            this.watchers.set(name, w);
          } catch {
            // the file is gone for now; the next configure() watches it again
          }
        })
        .catch((err: unknown) =>
          this.logger.error({ err, table: name }, 'rate table reload failed: kept the running one'),
        );
    }, DEBOUNCE_MS);
    t.unref();
    this.debounce.set(name, t);
  }

  private retry(name: string): void {
    const t = setTimeout(() => {
      this.retries.delete(name);
      if (!(name in this.configs)) return;
      this.reload(name).catch((err: unknown) => {
        this.logger.warn({ err, table: name }, 'rate table still not loaded: retrying');
        this.retry(name);
      });
    }, RETRY_MS);
    t.unref();
    this.retries.set(name, t);
  }

  private unwatch(): void {
    for (const t of this.retries.values()) clearTimeout(t);
    this.retries.clear();
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    for (const t of this.debounce.values()) clearTimeout(t);
    this.debounce.clear();
  }
}
