/**
 * Instructions per message of the relay's own work, without sockets: what
 * SipTransport and the bench relay do to each datagram between the 'message'
 * event and dgram's send — parseMessage, the RFC 3261 §18.2.1 / RFC 3581
 * received/rport edit of the top Via, pushing our Via, serializeMessage.
 * Counted under callgrind like the parser's bench/instructions.ts (same
 * method: two runs, 5,000 and 25,000 messages after a 10,000-message warm-up,
 * the difference divided by 20,000; Node with --single-threaded), so it does
 * not move with the machine's load the way the relay's CPU time does.
 *
 *   pnpm --filter @strata/transport bench:instructions
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseMessage, serializeMessage, type SipRequest } from '@strata/parser';
import { applyReceived } from '../src/via-received.js';
import { invite } from './message.js';

const WARMUP = 10_000;
const LOW = 5_000;
const HIGH = 25_000;

function child(count: number): void {
  // BENCH_VIA=plain: a Via without rport naming the source (nothing to add), as in udp-relay
  const rport = (process.env.BENCH_VIA ?? 'rport') === 'rport';
  const messages = Array.from({ length: 256 }, (_, i) => invite('127.0.0.1', 40000, i, rport));
  const via = 'SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKbench';
  let branch = 0;
  let sink = 0;
  const forward = (buf: Buffer): void => {
    const msg = parseMessage(buf) as SipRequest;
    applyReceived(msg, '127.0.0.1', 40000);
    msg.headers.prepend('Via', `${via}${++branch}`);
    sink += serializeMessage(msg).length;
  };
  for (let i = 0; i < WARMUP + count; i++) forward(messages[i & 255]!);
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
    `forward (parse, received/rport, Via push, serialise; Via ${process.env.BENCH_VIA ?? 'rport'}) ${Math.round(per).toLocaleString('en-US')} instructions/msg\n`,
  );
}
