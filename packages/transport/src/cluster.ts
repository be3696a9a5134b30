/**
 * Multi-core: N worker processes sharing the listening ports through
 * node:cluster (README "Multi-process"). Node 20 has no `reusePort` for net or
 * dgram (added in 22.12 / 23.1), so SO_REUSEPORT is not an option here.
 *
 * - TCP/TLS/WS: with SCHED_RR (default) the primary accepts and hands each
 *   connection to one worker in turn; a connection lives in one worker, so a
 *   stream flow is never reordered.
 * - UDP: workers bind with exclusive: false, the primary binds once and every
 *   worker reads the same socket; the kernel wakes whichever worker waits. Two
 *   datagrams of one flow may be handled by two workers and overtake each
 *   other, exactly as with Kamailio's udp_children reading one socket. SIP
 *   over UDP already tolerates reordering (transactions absorb it).
 */
import cluster from 'node:cluster';
import type { Logger } from 'pino';

export interface ClusterOptions {
  workers: number;
  /** 'rr' (round-robin by the primary, default) or 'none' (the kernel picks) */
  scheduling?: 'rr' | 'none';
  /** restart a worker that died, after this delay (ms); default 1000 */
  restartDelayMs?: number;
  logger?: Logger;
}

/**
 * In the primary: fork the workers and keep them alive; resolves 'primary'.
 * In a worker: run `startWorker` (which starts its SipTransport); resolves
 * 'worker'. Call it from the process entry point.
 */
export async function runClustered(
  options: ClusterOptions,
  startWorker: () => Promise<void>,
): Promise<'primary' | 'worker'> {
  if (!cluster.isPrimary) {
    await startWorker();
    return 'worker';
  }
  // must be set before the first fork
  cluster.schedulingPolicy = options.scheduling === 'none' ? cluster.SCHED_NONE : cluster.SCHED_RR;
  const log = options.logger?.child({ component: 'cluster' });
  let stopping = false;
  const delay = options.restartDelayMs ?? 1000;
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) return;
    log?.warn({ pid: worker.process.pid, code, signal }, 'worker died, restarting');
    setTimeout(() => cluster.fork(), delay).unref();
  });
  const stop = (): void => {
    stopping = true;
    for (const w of Object.values(cluster.workers ?? {})) w?.kill();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  const online = Array.from({ length: options.workers }, () => {
    const w = cluster.fork();
    return new Promise<void>((resolve) => w.once('online', () => resolve()));
  });
  await Promise.all(online);
  log?.info({ workers: options.workers, scheduling: options.scheduling ?? 'rr' }, 'workers online');
  return 'primary';
}
