/**
 * Instructions per message, for before/after comparisons on a shared, noisy
 * machine (wall-clock rates move ±50 % with the load; instruction counts move
 * by well under 1 %).
 *
 *   node dist/bench/bench/instructions.js            # hot, full, forward
 *   node dist/bench/bench/instructions.js hot peer   # any of them, or the
 *                                                    # peer's (peer, peerForward)
 *
 * For each task it runs itself twice under `valgrind --tool=callgrind` (the
 * child mode below) with a warm-up of WARMUP messages and then LOW or HIGH
 * messages of the four-message mix, and reports
 * (instructions(HIGH) − instructions(LOW)) / (HIGH − LOW): start-up, module
 * loading, warm-up and JIT compilation cancel out; what is left is the
 * steady-state cost of one message, including GC. This counts instructions,
 * not time: cache misses and branch mispredictions are not in it. Node runs
 * with --single-threaded, so no background compiler or GC thread's timing
 * moves the count (repeat runs agree within ~1 %).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { MESSAGES, sink, TASKS, type TaskName } from './tasks.js';

const WARMUP = 10_000;
const LOW = 5_000;
const HIGH = 25_000;

function child(task: TaskName, count: number): void {
  const fn = TASKS[task];
  const bufs = MESSAGES.map(([, b]) => b);
  const run = (n: number): void => {
    for (let i = 0; i < n; i++) fn(bufs[i & 3]!);
  };
  run(WARMUP);
  run(count);
  if (sink.n === 0) process.exitCode = 1;
}

function instructions(task: TaskName, count: number): number {
  const self = fileURLToPath(import.meta.url);
  const r = spawnSync(
    'valgrind',
    [
      '--tool=callgrind',
      '--callgrind-out-file=/dev/null',
      process.execPath,
      // no background compiler or GC threads: their timing would move the count
      '--single-threaded',
      self,
      '--child',
      task,
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
  child(args[1] as TaskName, Number(args[2]));
} else {
  const tasks = (args.length > 0 ? args : ['hot', 'full', 'forward']) as TaskName[];
  for (const task of tasks) {
    if (!(task in TASKS)) throw new Error(`unknown task ${task}`);
    const lo = instructions(task, LOW);
    const hi = instructions(task, HIGH);
    const per = (hi - lo) / (HIGH - LOW);
    process.stdout.write(
      `${task.padEnd(8)} ${Math.round(per).toLocaleString('en-US')} instructions/msg\n`,
    );
  }
}
