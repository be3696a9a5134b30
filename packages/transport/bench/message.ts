/** The request the benchmarks forward: a ~750-byte INVITE with SDP, as a softphone sends it. */
const sdp = [
  'v=0',
  'o=alice 2890844526 2890844526 IN IP4 192.0.2.10',
  's=-',
  'c=IN IP4 192.0.2.10',
  't=0 0',
  'm=audio 49170 RTP/AVP 0 8 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=sendrecv',
  '',
].join('\r\n');

/**
 * The unique part of the branch a relay pushes, taken in turn: 4096 strings
 * made once (far more than the messages in flight). How a branch is made is
 * the caller's business (the edge hashes, the transaction layer counts in
 * base 36), and a counter turned into a string per message goes through V8's
 * number-to-string cache (README, "Session 5").
 */
export const BRANCH_RING: readonly string[] = Array.from(
  { length: 4096 },
  (_, i) => `.${i.toString(36).padStart(6, '0')}`,
);

/**
 * `rport`: the Via asks for rport (RFC 3581), so the receiving transport
 * fills it and adds received to every copy (a client behind NAT); without it
 * the sent-by is the sender's own address and port, and the server-side Via
 * processing (RFC 3261 §18.2.1) only checks it.
 */
export function invite(viaHost: string, viaPort: number, n: number, rport = true): Buffer {
  const head = [
    'INVITE sip:bob@biloxi.example.com SIP/2.0',
    `Via: SIP/2.0/UDP ${viaHost}:${viaPort}${rport ? ';rport' : ''};branch=z9hG4bK776asdhds${n}`,
    'Max-Forwards: 70',
    'To: Bob <sip:bob@biloxi.example.com>',
    'From: Alice <sip:alice@atlanta.example.com>;tag=1928301774',
    `Call-ID: a84b4c76e66710-${n}@pc33.atlanta.example.com`,
    'CSeq: 314159 INVITE',
    `Contact: <sip:alice@${viaHost}:${viaPort}>`,
    'Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY',
    'Supported: replaces, timer',
    'User-Agent: bench/1.0',
    'Content-Type: application/sdp',
    `Content-Length: ${Buffer.byteLength(sdp)}`,
  ].join('\r\n');
  return Buffer.from(`${head}\r\n\r\n${sdp}`, 'latin1');
}
