/**
 * Nanoseconds per message of the relay's own work (bench/forward.ts), in one
 * process without sockets: the best of ROUNDS timed loops after a warm-up.
 * Finer than the relay's CPU time per message (which moves by ±0.3 µs from
 * run to run with the kernel's share), coarser than callgrind's instruction
 * count but, unlike it, it sees what the memory system costs (e.g. the
 * number-to-string cache effect of BENCH_PORTS, README "Session 5").
 *
 *   pnpm --filter @strata/transport bench:forward
 *   BENCH_PORTS=60000 node dist/bench/bench/forward-time.js
 */
import { describeForward, makeForward } from './forward.js';

const WARMUP = 50_000;
const COUNT = Number(process.env.BENCH_COUNT ?? 400_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

const forward = makeForward();
let sink = 0;
for (let i = 0; i < WARMUP; i++) sink += forward(i);
const times: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < COUNT; i++) sink += forward(i);
  times.push(Number(process.hrtime.bigint() - t0) / COUNT);
}
if (sink === 0) throw new Error('nothing serialised');
times.sort((a, b) => a - b);
process.stdout.write(
  `forward (${describeForward()}): best ${times[0]!.toFixed(0)} ns/msg ` +
    `(rounds of ${COUNT}, sorted: ${times.map((t) => t.toFixed(0)).join(' ')})\n`,
);
