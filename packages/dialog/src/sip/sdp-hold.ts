/**
 * Hold detection from an SDP offer (RFC 4566, RFC 3264 §8.4).
 *
 * RFC 3264 §8.4: "If the stream to be placed on hold was previously a sendrecv media
 * stream, it is placed on hold by marking it sendonly. If the stream ... was a recvonly
 * media stream, it is placed on hold by marking it inactive." RFC 2543 (kept alive by many
 * phones, RFC 3264 §8.4 last paragraph) held a call by setting the connection address to
 * 0.0.0.0. Like Kamailio/OpenSIPS we also treat an offered `recvonly` as hold.
 *
 * The attribute may sit at session level (applies to every m= line) or media level
 * (overrides the session level for that stream; RFC 4566 §6). A stream with port 0 is
 * rejected/removed (RFC 3264 §8.2) and does not count.
 */

export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

const DIRECTIONS: ReadonlySet<string> = new Set(['sendrecv', 'sendonly', 'recvonly', 'inactive']);

export interface SdpMediaSummary {
  readonly port: number;
  readonly direction: MediaDirection;
  readonly connection: string | null;
}

/** The m= streams of an SDP body with their effective direction and connection address. */
export function summarizeSdp(sdp: string): SdpMediaSummary[] {
  let sessionDirection: MediaDirection | null = null;
  let sessionConnection: string | null = null;
  const media: { port: number; direction: MediaDirection | null; connection: string | null }[] = [];
  for (const raw of sdp.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.length < 2 || line[1] !== '=') continue;
    const current = media[media.length - 1];
    const value = line.slice(2).trim();
    if (line[0] === 'm') {
      const port = Number.parseInt(value.split(/\s+/)[1] ?? '', 10);
      media.push({ port: Number.isNaN(port) ? 0 : port, direction: null, connection: null });
    } else if (line[0] === 'c') {
      // c=IN IP4 0.0.0.0
      const address = value.split(/\s+/)[2] ?? null;
      if (current === undefined) sessionConnection = address;
      else current.connection = address;
    } else if (line[0] === 'a' && DIRECTIONS.has(value.toLowerCase())) {
      const dir = value.toLowerCase() as MediaDirection;
      if (current === undefined) sessionDirection = dir;
      else current.direction = dir;
    }
  }
  return media.map((m) => ({
    port: m.port,
    direction: m.direction ?? sessionDirection ?? 'sendrecv',
    connection: m.connection ?? sessionConnection,
  }));
}

function isHeld(m: SdpMediaSummary): boolean {
  return m.direction !== 'sendrecv' || m.connection === '0.0.0.0';
}

/**
 * True when the offerer puts the call on hold: every active stream (port ≠ 0) is
 * sendonly / recvonly / inactive or has c=0.0.0.0; false for a sendrecv offer (resume).
 * An offer whose streams are all rejected (port 0) carries no media: counted as hold.
 */
export function offerHolds(sdp: string): boolean {
  const active = summarizeSdp(sdp).filter((m) => m.port !== 0);
  return active.every(isHeld);
}

/** True when the body is SDP (by Content-Type, RFC 3261 §20.15, or by its first line). */
export function isSdpBody(contentType: string | undefined, body: Buffer): boolean {
  if (body.length === 0) return false;
  if (contentType !== undefined) return /^\s*application\/sdp\b/i.test(contentType);
  return (
    body.subarray(0, 4).toString('latin1') === 'v=0\r' || body.subarray(0, 3).toString() === 'v=0'
  );
}

/**
 * The SDP with every direction attribute replaced by `direction` at media level (session
 * level ones are dropped), used by the proxy's hold helper (RFC 3264 §8.4).
 */
export function withDirection(sdp: string, direction: MediaDirection): string {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const out: string[] = [];
  for (const line of sdp.split(/\r?\n/)) {
    if (line.startsWith('a=') && DIRECTIONS.has(line.slice(2).trim().toLowerCase())) continue;
    if (line.length === 0) continue;
    out.push(line);
    if (line.startsWith('m=')) out.push(`a=${direction}`);
  }
  return out.join(eol) + eol;
}
