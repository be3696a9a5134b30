/**
 * Instructions per message of the relay's own work, without sockets
 * (bench/forward.ts: parse, received/rport, Via push, serialise).
 * Counted under callgrind like the parser's bench/instructions.ts (same
 * method: two runs, 5,000 and 25,000 messages after a 10,000-message warm-up,
 * the difference divided by 20,000; Node with --single-threaded), so it does
 * not move with the machine's load the way the relay's CPU time does.
 *
 *   pnpm --filter @strata/transport bench:instructions
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describeForward, makeForward } from './forward.js';

const WARMUP = 10_000;
const LOW = 5_000;
const HIGH = 25_000;

function child(count: number): void {
  const forward = makeForward();
  let sink = 0;
  for (let i = 0; i < WARMUP + count; i++) sink += forward(i);
  if (sink === 0) process.exitCode = 1;
}

function instructions(count: number): number {
  const r = spawnSync(
    'valgrind',
    [
      '--tool=callgrind',
      '--callgrind-out-file=/dev/null',
      process.execPath,
      '--single-threaded',
      fileURLToPath(import.meta.url),
      '--child',
      String(count),
    ],
    { encoding: 'utf8' },
  );
  const m = /Collected : (\d+)/.exec(r.stderr);
  if (r.status !== 0 || m === null) throw new Error(`valgrind failed: ${r.stderr.slice(-2000)}`);
  return Number(m[1]);
}

const args = process.argv.slice(2);
if (args[0] === '--child') {
  child(Number(args[1]));
} else {
  const per = (instructions(HIGH) - instructions(LOW)) / (HIGH - LOW);
  process.stdout.write(
    `forward (${describeForward()}) ${Math.round(per).toLocaleString('en-US')} instructions/msg\n`,
  );
}
