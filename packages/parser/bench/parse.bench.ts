/**
 * Parser benchmark (issue #2): ops/s for the stateless edge's hot path, a full
 * parse of every header, and parse + Via push + serialise, over four realistic
 * messages; the npm `sip` package (kirm/sip.js) parses the same bytes in the
 * same run as a peer. Run with `pnpm --filter @strata/parser bench`.
 *
 * Each task handles BATCH messages per call so that timer overhead does not
 * dominate sub-microsecond operations; rates are reported per message.
 */
import { Bench } from 'tinybench';
import sip from 'sip';
import {
  parseMessage,
  pushVia,
  readContacts,
  serializeMessage,
  type SipMessage,
} from '../src/index.js';
import { INVITE, OK_WITH_RR, REGISTER, RINGING } from '../test/messages.js';

const MESSAGES: [string, Buffer][] = [
  ['INVITE+SDP', Buffer.from(INVITE, 'latin1')],
  ['180 Ringing', Buffer.from(RINGING, 'latin1')],
  ['200 OK+RR', Buffer.from(OK_WITH_RR, 'latin1')],
  ['REGISTER', Buffer.from(REGISTER, 'latin1')],
];
const ROUNDS = 50;
const VIA = 'SIP/2.0/UDP edge1.strata.example:5060;branch=z9hG4bKe1b3a9f0c2';
const time = Number(process.env['BENCH_TIME_MS'] ?? 1000);

let sink = 0;

/** (a) What the stateless edge reads: Call-ID (hash key), CSeq, top Via, Max-Forwards. */
function hot(buf: Buffer): void {
  const m = parseMessage(buf);
  sink += m.callId.length + m.cseq.seq + (m.topViaRaw?.length ?? 0) + (m.maxForwards ?? 0);
}

/** (b) Everything: every structured header and the whole header list. */
function full(buf: Buffer): void {
  const m: SipMessage = parseMessage(buf);
  sink += m.callId.length + m.cseq.seq + (m.maxForwards ?? 0);
  sink += m.vias.length + m.from.params.size + m.to.params.size;
  const contacts = readContacts(m.headers);
  sink += contacts === '*' ? 1 : contacts.length;
  sink += m.recordRoutes.length + m.routes.length + m.headers.entries().length;
}

/** (c) A proxy's forward: parse, push its own Via, serialise. */
function forward(buf: Buffer): void {
  const m = parseMessage(buf);
  pushVia(m, VIA);
  sink += serializeMessage(m).length;
}

function peerParse(buf: Buffer): void {
  const m = sip.parse(buf);
  sink += m === undefined ? 0 : Object.keys(m.headers).length;
}

function peerForward(buf: Buffer): void {
  const m = sip.parse(buf);
  if (m === undefined) return;
  m.headers.via?.unshift({
    version: '2.0',
    protocol: 'UDP',
    host: 'edge1.strata.example',
    port: 5060,
    params: { branch: 'z9hG4bKe1b3a9f0c2' },
  });
  sink += sip.stringify(m).length;
}

function batch(fn: (buf: Buffer) => void, bufs: Buffer[]): () => void {
  return () => {
    for (let r = 0; r < ROUNDS; r++) for (const b of bufs) fn(b);
  };
}

// sanity: both parsers accept every message, and ours round-trips it
for (const [name, buf] of MESSAGES) {
  if (!serializeMessage(parseMessage(buf)).equals(buf)) throw new Error(`round trip ${name}`);
  if (sip.parse(buf) === undefined) throw new Error(`peer rejects ${name}`);
}

const all = MESSAGES.map(([, b]) => b);
const rows: { label: string; fn: () => void; perCall: number }[] = [
  { label: 'hot path (a), mix', fn: batch(hot, all), perCall: ROUNDS * all.length },
  { label: 'full parse (b), mix', fn: batch(full, all), perCall: ROUNDS * all.length },
  {
    label: 'parse+Via push+serialise (c), mix',
    fn: batch(forward, all),
    perCall: ROUNDS * all.length,
  },
  ...MESSAGES.map(([name, b]) => ({
    label: `hot path (a), ${name}`,
    fn: batch(hot, [b]),
    perCall: ROUNDS,
  })),
  ...MESSAGES.map(([name, b]) => ({
    label: `full parse (b), ${name}`,
    fn: batch(full, [b]),
    perCall: ROUNDS,
  })),
  { label: 'peer sip.parse, mix', fn: batch(peerParse, all), perCall: ROUNDS * all.length },
  {
    label: 'peer parse+push+stringify, mix',
    fn: batch(peerForward, all),
    perCall: ROUNDS * all.length,
  },
  ...MESSAGES.map(([name, b]) => ({
    label: `peer sip.parse, ${name}`,
    fn: batch(peerParse, [b]),
    perCall: ROUNDS,
  })),
];

const bench = new Bench({ time, warmupTime: Math.min(300, time) });
for (const row of rows) bench.add(row.label, row.fn);
await bench.run();

const rate = new Map<string, number>();
for (const row of rows) {
  const task = bench.getTask(row.label);
  const meanMs = task?.result?.latency.mean ?? NaN;
  rate.set(row.label, (row.perCall * 1000) / meanMs);
}
const r = (label: string): number => rate.get(label) ?? NaN;
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

console.log(
  `\n@strata/parser benchmark — node ${process.version}, ${ROUNDS} rounds per call, ${time} ms per task`,
);
console.log('sizes: ' + MESSAGES.map(([name, b]) => `${name} ${b.length} B`).join(', ') + '\n');
console.table(
  rows
    .filter((row) => !row.label.startsWith('peer'))
    .map((row) => {
      const kind = row.label.startsWith('parse+') ? 'peer parse+push+stringify' : 'peer sip.parse';
      const suffix = row.label.slice(row.label.indexOf(','));
      const peer = r(`${kind}${suffix}`);
      return {
        task: row.label,
        'msgs/s': fmt(r(row.label)),
        'µs/msg': (1e6 / r(row.label)).toFixed(2),
        'peer msgs/s': Number.isNaN(peer) ? '' : fmt(peer),
        'vs peer': Number.isNaN(peer) ? '' : `${(r(row.label) / peer).toFixed(1)}×`,
      };
    }),
);
const hotMix = r('hot path (a), mix');
const fullMix = r('full parse (b), mix');
const peerMix = r('peer sip.parse, mix');
console.log(
  `targets: hot ≥ 400,000 msgs/s: ${fmt(hotMix)} ${hotMix >= 400_000 ? 'ok' : 'MISSED'}; ` +
    `hot ≥ 5× peer: ${(hotMix / peerMix).toFixed(1)}× ${hotMix >= 5 * peerMix ? 'ok' : 'MISSED'}; ` +
    `full ≥ 100,000 msgs/s: ${fmt(fullMix)} ${fullMix >= 100_000 ? 'ok' : 'MISSED'}`,
);
if (sink === 0) console.log('(sink)');
