// STAND-IN, NOT ASTERISK: a minimal answering SIP UAS on UDP for the media role
// of infra/compose.standin.yml (hosts without an Asterisk image, like CI).
// INVITE → 180 + 200 (SDP, Record-Route copied), ACK taken, BYE → 200, any other
// request → 200. Every response goes where its request came from (RFC 3261
// §18.2.2 with rport: the packet's source), like a real UA and Asterisk do. sipp's
// UAS (the stand-in before) sends all responses of a call to the address its
// INVITE came from, so after a core died it answered the surviving core's BYE
// towards the dead one and the core-kill failover could never pass.
// Signalling only: no media, no dialplan. No dependencies (node:20 image).
//
//   node uas.mjs            # UDP 0.0.0.0:${SIP_PORT:-5060}
import dgram from 'node:dgram';
import { networkInterfaces } from 'node:os';

const port = Number(process.env.SIP_PORT ?? 5060);
const host =
  process.env.STANDIN_HOST ??
  Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal)?.address ??
  '127.0.0.1';
const sock = dgram.createSocket('udp4');
/** Call-ID → the 200 we sent (INVITE retransmissions get it again); dropped at BYE or after 5 min */
const answers = new Map();
let calls = 0;
const counts = { invites: 0, byes: 0, other: 0 };

sock.on('message', (buf, rinfo) => {
  const text = buf.toString('latin1');
  const method = /^([A-Z]+) /.exec(text)?.[1];
  if (method === undefined) return; // a response: nothing to do
  const callId = header(text, 'call-id')[0] ?? '';
  const send = (msg) => sock.send(msg, rinfo.port, rinfo.address);
  if (method === 'INVITE') {
    const known = answers.get(callId);
    if (known !== undefined) return send(known.ok);
    counts.invites++;
    const tag = `standin${++calls}`;
    send(response(text, 180, 'Ringing', tag));
    const sdp =
      `v=0\r\no=standin 1 1 IN IP4 ${host}\r\ns=-\r\nc=IN IP4 ${host}\r\nt=0 0\r\n` +
      'm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';
    const ok = response(text, 200, 'OK', tag, sdp);
    answers.set(callId, { ok, at: Date.now() });
    return send(ok);
  }
  if (method === 'ACK') return;
  if (method === 'BYE') {
    counts.byes++;
    answers.delete(callId);
  } else counts.other++;
  send(response(text, 200, 'OK', null));
});

setInterval(() => {
  const old = Date.now() - 300_000;
  for (const [id, a] of answers) if (a.at < old) answers.delete(id);
}, 30_000).unref();

sock.bind(port, '0.0.0.0', () =>
  console.log(`sip stand-in UAS (not Asterisk) on udp ${host}:${port}`),
);
for (const sig of ['SIGTERM', 'SIGINT'])
  process.on(sig, () => {
    console.log(`stopping: ${JSON.stringify(counts)}`);
    process.exit(0);
  });

function header(text, name) {
  const head = text.split('\r\n\r\n')[0] ?? '';
  const out = [];
  for (const line of head.split('\r\n').slice(1)) {
    const i = line.indexOf(':');
    if (i > 0 && line.slice(0, i).trim().toLowerCase() === name) out.push(line.slice(i + 1).trim());
  }
  return out;
}

function response(req, status, reason, tag, body = '') {
  const lines = [`SIP/2.0 ${status} ${reason}`];
  for (const v of header(req, 'via')) lines.push(`Via: ${v}`);
  if (status < 300 && /^INVITE /.test(req))
    for (const rr of header(req, 'record-route')) lines.push(`Record-Route: ${rr}`);
  lines.push(`From: ${header(req, 'from')[0] ?? ''}`);
  const to = header(req, 'to')[0] ?? '';
  lines.push(`To: ${tag !== null && !/;tag=/i.test(to) ? `${to};tag=${tag}` : to}`);
  lines.push(`Call-ID: ${header(req, 'call-id')[0] ?? ''}`);
  lines.push(`CSeq: ${header(req, 'cseq')[0] ?? ''}`);
  lines.push(`Contact: <sip:standin@${host}:${port}>`);
  if (body !== '') lines.push('Content-Type: application/sdp');
  lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}
