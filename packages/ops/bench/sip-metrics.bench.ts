/**
 * Cost of counting one SIP message in SipMessageMetrics (what the wire tap
 * does for every message in and out): a request and a response, each counted
 * in and out, best of 5 loops of 500 000 after a warm-up; then a scrape, so
 * the counts are checked to have reached the registry.
 *
 *   pnpm --filter @strata/ops bench
 */
import { parseMessage } from '@strata/parser';
import { createRegistry, SipMessageMetrics } from '../src/index.js';

const LOOPS = 500_000;
const reg = createRegistry({ defaults: false });
const metrics = new SipMessageMetrics(reg);
const common =
  'Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n';
const invite = parseMessage(Buffer.from(`INVITE sip:b@x SIP/2.0\r\n${common}`));
const ringing = parseMessage(Buffer.from(`SIP/2.0 180 Ringing\r\n${common}`));
const four = (): void => {
  metrics.received(invite);
  metrics.sent(invite);
  metrics.received(ringing);
  metrics.sent(ringing);
};

for (let i = 0; i < 100_000; i++) four();
const ns: number[] = [];
for (let r = 0; r < 5; r++) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < LOOPS; i++) four();
  ns.push(Number(process.hrtime.bigint() - t0) / LOOPS / 4);
}
ns.sort((a, b) => a - b);
const text = await reg.metrics();
const expected = 100_000 + 5 * LOOPS; // INVITEs received: warm-up and loops
if (!text.includes(`strata_sip_requests_total{direction="in",method="INVITE"} ${expected}`))
  throw new Error('the counts did not reach the registry');
process.stdout.write(
  `SipMessageMetrics: best ${ns[0]!.toFixed(1)} ns per message counted ` +
    `(sorted: ${ns.map((x) => x.toFixed(1)).join(' ')})\n`,
);
