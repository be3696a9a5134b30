/**
 * CPU µs per proxied call: INVITE→100/180→200→ACK→BYE→200 through a
 * TransactionLayer + StatefulProxy on the loop transport (two transactions
 * and one stateless ACK per call in the proxy). process.cpuUsage over N
 * calls, after a warm-up; the same flow UA→UA without the proxy is measured
 * too and subtracted, leaving the proxy's share (parse of what it receives,
 * transactions, forwarding, serialisation, timers).
 *
 *   pnpm --filter @strata/transaction bench        (BENCH_CALLS=… to change N)
 */
import { it } from 'vitest';
import { createCallFlow } from '../test/support/call-flow.js';

const CALLS = Number(process.env.BENCH_CALLS ?? 20_000);
const WARMUP = Math.min(5_000, CALLS);
const BATCH = 200;

async function measure(viaProxy: boolean): Promise<number> {
  const flow = createCallFlow({ viaProxy });
  let call = 0;
  const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  const run = async (n: number): Promise<void> => {
    for (let k = 0; k < n; k++) {
      flow.start(call++);
      if (call % BATCH === 0) {
        flow.settle();
        flow.advance(500); // time moves: Timers D/I/J/K/L/M expire as in a live system
        await tick();
      }
    }
    flow.settle();
    flow.advance(200_000);
    await tick();
  };
  await run(WARMUP);
  const done = flow.completed;
  const start = process.cpuUsage();
  await run(CALLS);
  const used = process.cpuUsage(start);
  if (flow.completed - done !== CALLS)
    throw new Error(`only ${flow.completed - done} calls completed`);
  return (used.user + used.system) / CALLS;
}

it(`proxied call (INVITE→180→200→ACK→BYE→200), ${CALLS} calls`, async () => {
  const direct = await measure(false);
  const proxied = await measure(true);
  console.log(
    [
      `calls: ${CALLS} (after ${WARMUP} warm-up), node ${process.version}`,
      `UA→UA without proxy:  ${direct.toFixed(1)} µs CPU per call`,
      `UA→proxy→UA:          ${proxied.toFixed(1)} µs CPU per call`,
      `proxy share:          ${(proxied - direct).toFixed(1)} µs CPU per call`,
    ].join('\n'),
  );
});
