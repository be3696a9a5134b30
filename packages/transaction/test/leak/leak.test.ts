/**
 * Terminated transactions release everything (issue #4): after 100k
 * completed proxied transactions (50k calls, each an INVITE and a BYE
 * transaction, each with a server and a client transaction in the proxy),
 * the heap returns to within 5 % of its baseline. And what they hold before
 * they terminate: over UDP every one waits 5–32 s (Timers J/K/L/M), so a core
 * at 1 000 calls/s keeps ≈ 32 000 calls' transactions. Needs --expose-gc: run
 * with `pnpm test:leak` (vitest.leak.config.ts); skipped in the normal suite.
 */
import { describe, expect, it } from 'vitest';
import { createCallFlow } from '../support/call-flow.js';

const gc = (globalThis as { gc?: () => void }).gc;

function settledHeap(): number {
  for (let i = 0; i < 6; i++) gc!();
  return process.memoryUsage().heapUsed;
}

type CallFlow = ReturnType<typeof createCallFlow>;

// the manual clock runs the protocol synchronously; yielding to the event
// loop lets the send promises settle, as they would under real I/O
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Starts calls `from` … `to` − 1 (each runs to its end at once), settling every 500;
 * `advanceMs` moves the clock that far per batch, so Timers L/M/J/K expire progressively
 * (0: every transaction stays in its wait state).
 */
async function runCalls(
  flow: CallFlow,
  from: number,
  to: number,
  advanceMs: number,
): Promise<void> {
  for (let call = from; call < to; call++) {
    flow.start(call);
    if ((call + 1) % 500 === 0) {
      flow.settle();
      if (advanceMs > 0) flow.advance(advanceMs);
      await tick();
    }
  }
  flow.settle();
  await tick();
}

/** Moves the clock past every timer: every transaction terminates. */
async function terminateAll(flow: CallFlow): Promise<void> {
  flow.advance(200_000);
  await tick();
}

describe.runIf(gc !== undefined)('memory', () => {
  it('100k proxied transactions leave the heap within 5% of baseline', async () => {
    const flow = createCallFlow({ viaProxy: true });
    const layer = flow.layer!;
    // warm up: JIT code, inline caches, maps at their working size
    await runCalls(flow, 0, 15_000, 1_000);
    await terminateAll(flow);
    expect(layer.size).toEqual({ clients: 0, servers: 0 });
    const baseline = settledHeap();

    await runCalls(flow, 15_000, 65_000, 1_000);
    await terminateAll(flow);
    expect(flow.completed).toBe(65_000);
    expect(layer.size).toEqual({ clients: 0, servers: 0 });
    expect(flow.timers.pending).toBe(0);
    const after = settledHeap();
    const growth = (after - baseline) / baseline;
    console.log(
      `heap baseline ${(baseline / 1e6).toFixed(1)} MB, after 100k transactions ${(after / 1e6).toFixed(1)} MB (${(growth * 100).toFixed(2)} %)`,
    );
    expect(growth).toBeLessThan(0.05);
  }, 120_000);

  it('a proxied call waiting for its timers holds at most 6 kB per transaction', async () => {
    const flow = createCallFlow({ viaProxy: true });
    const layer = flow.layer!;
    await runCalls(flow, 0, 5_000, 0); // warm up, then let everything terminate
    await terminateAll(flow);
    const baseline = settledHeap();

    await runCalls(flow, 5_000, 25_000, 0); // every call done, every transaction waiting
    const { clients, servers } = layer.size;
    expect(clients + servers).toBe(80_000);
    const perTransaction = (settledHeap() - baseline) / (clients + servers);
    console.log(
      `heap per transaction in its wait state: ${Math.round(perTransaction)} B (${Math.round(perTransaction * 4)} B per proxied call)`,
    );
    // ≈ 4.4 kB measured: each keeps its parsed request, the proxy's context its branches
    expect(perTransaction).toBeLessThan(6_000);
    await terminateAll(flow);
    expect(layer.size).toEqual({ clients: 0, servers: 0 });
  }, 120_000);
});
