/**
 * A minimal answering UAS on a raw UDP socket, for the failover test. sipp's UAS sends
 * every response of a call to the address its INVITE came from, so after a core dies it
 * would answer the surviving core's BYE towards the dead one; a real UA answers where
 * the request came from (RFC 3261 §18.2.2, here: the packet's source). This one does:
 * INVITE → 180 + 200 (SDP, Record-Route copied), ACK noted, BYE → 200, OPTIONS → 200.
 */
import dgram from 'node:dgram';

export class RawUas {
  readonly invites = new Set<string>();
  readonly acks = new Set<string>();
  readonly byes = new Set<string>();
  private readonly answers = new Map<string, string>();
  private constructor(
    private readonly sock: dgram.Socket,
    readonly port: number,
  ) {}

  static async start(port: number): Promise<RawUas> {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(port, '127.0.0.1', () => resolve());
    });
    const uas = new RawUas(sock, port);
    sock.on('message', (buf, rinfo) => uas.onMessage(buf.toString('latin1'), rinfo));
    return uas;
  }

  close(): Promise<void> {
    return new Promise((r) => this.sock.close(() => r()));
  }

  private onMessage(text: string, rinfo: dgram.RemoteInfo): void {
    const method = /^([A-Z]+) /.exec(text)?.[1];
    if (method === undefined) return; // a response: nothing to do
    const callId = header(text, 'call-id')[0] ?? '';
    const send = (msg: string): void => {
      this.sock.send(msg, rinfo.port, rinfo.address);
    };
    if (method === 'INVITE') {
      const known = this.answers.get(callId);
      if (known !== undefined) return send(known); // retransmission: the 200 again
      this.invites.add(callId);
      const tag = `raw${this.invites.size}`;
      send(response(text, 180, 'Ringing', tag, this.port));
      const sdp =
        'v=0\r\no=raw 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n' +
        'm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';
      const ok = response(text, 200, 'OK', tag, this.port, sdp);
      this.answers.set(callId, ok);
      return send(ok);
    }
    if (method === 'ACK') {
      this.acks.add(callId);
      return;
    }
    if (method === 'BYE') this.byes.add(callId);
    send(response(text, 200, 'OK', null, this.port));
  }
}

/** The values of header `name` (lowercase, full form) in a message's header section. */
export function header(text: string, name: string): string[] {
  const head = text.split('\r\n\r\n')[0] ?? '';
  const out: string[] = [];
  for (const line of head.split('\r\n').slice(1)) {
    const i = line.indexOf(':');
    if (i > 0 && line.slice(0, i).trim().toLowerCase() === name) out.push(line.slice(i + 1).trim());
  }
  return out;
}

function response(
  req: string,
  status: number,
  reason: string,
  tag: string | null,
  port: number,
  body = '',
): string {
  const lines = [`SIP/2.0 ${status} ${reason}`];
  for (const v of header(req, 'via')) lines.push(`Via: ${v}`);
  if (status < 300 && /^INVITE /.test(req))
    for (const rr of header(req, 'record-route')) lines.push(`Record-Route: ${rr}`);
  lines.push(`From: ${header(req, 'from')[0] ?? ''}`);
  const to = header(req, 'to')[0] ?? '';
  lines.push(`To: ${tag !== null && !/;tag=/i.test(to) ? `${to};tag=${tag}` : to}`);
  lines.push(`Call-ID: ${header(req, 'call-id')[0] ?? ''}`);
  lines.push(`CSeq: ${header(req, 'cseq')[0] ?? ''}`);
  lines.push(`Contact: <sip:raw@127.0.0.1:${port}>`);
  if (body !== '') lines.push('Content-Type: application/sdp');
  lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}
