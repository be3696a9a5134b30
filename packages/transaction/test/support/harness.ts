/** A proxy on the loop network with a manual clock, plus helpers to move time. */
import type { Destination } from '@strata/transport';
import { TransactionLayer } from '../../src/layer.js';
import { StatefulProxy } from '../../src/proxy/stateful-proxy.js';
import type { StatefulProxyOptions } from '../../src/proxy/types.js';
import type { TimerConfig } from '../../src/timers.js';
import { LoopNetwork, ManualTimers, type LoopTransport } from './loop-transport.js';
import { PROXY } from './sip.js';

export interface Harness {
  timers: ManualTimers;
  network: LoopNetwork;
  transport: LoopTransport;
  layer: TransactionLayer;
  /** advance the manual clock, letting promise callbacks (send failures, async routers) run */
  run(ms?: number): Promise<void>;
}

export function createHarness(config: Partial<TimerConfig> = {}): Harness {
  const timers = new ManualTimers(1_000_000);
  const network = new LoopNetwork({ timers });
  const transport = network.createTransport(PROXY.address, PROXY.port);
  const layer = new TransactionLayer({ transport, timers, config });
  return {
    timers,
    network,
    transport,
    layer,
    async run(ms = 0) {
      // small steps so microtask work (rejections, async routers) interleaves with timers
      const step = ms <= 0 ? 0 : Math.max(1, Math.min(ms, 50));
      let left = ms;
      do {
        const d = Math.min(step, left);
        timers.advance(d);
        left -= d;
        for (let i = 0; i < 3; i++) {
          await new Promise<void>((r) => setImmediate(r));
          timers.advance(0);
        }
      } while (left > 0);
    },
  };
}

export function createProxy(h: Harness, options: StatefulProxyOptions): StatefulProxy {
  return new StatefulProxy(h.layer, options).attach();
}

export function udp(address: string, port = 5060): Destination {
  return { transport: 'udp', address, port };
}

export function tcp(address: string, port = 5060): Destination {
  return { transport: 'tcp', address, port };
}
