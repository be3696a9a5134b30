/**
 * HEPv3 (EEP) encoder and decoder — the Homer capture format (sipcapture/HEP).
 *
 * A packet is the magic "HEP3", a 16-bit total length, then chunks. Each chunk is
 * vendor id (16 bit, 0 = generic), type id (16 bit), length (16 bit, including the
 * 6-byte chunk header) and the value. All integers are in network byte order.
 *
 * Generic chunk types used here:
 *   1 IP family (u8: 2 = IPv4, 10 = IPv6)   2 IP protocol id (u8: 17 UDP, 6 TCP)
 *   3/4 IPv4 source/destination (4 bytes)   5/6 IPv6 source/destination (16 bytes)
 *   7/8 source/destination port (u16)       9/10 timestamp seconds / microseconds (u32)
 *   11 protocol type (u8: 1 = SIP)          12 capture agent id (u32)
 *   14 auth key (string, optional)          15 payload (the captured message)
 *   17 correlation id (string: the Call-ID)
 */
import { isIPv4, isIPv6 } from 'node:net';

export const HEP_FAMILY_IPV4 = 2;
export const HEP_FAMILY_IPV6 = 10;
export const HEP_PROTO_UDP = 17;
export const HEP_PROTO_TCP = 6;
export const HEP_TYPE_SIP = 1;

export const enum HepChunk {
  IpFamily = 1,
  IpProtocol = 2,
  SrcIp4 = 3,
  DstIp4 = 4,
  SrcIp6 = 5,
  DstIp6 = 6,
  SrcPort = 7,
  DstPort = 8,
  TimeSec = 9,
  TimeUsec = 10,
  ProtoType = 11,
  CaptureId = 12,
  AuthKey = 14,
  Payload = 15,
  CorrelationId = 17,
}

export interface HepPacket {
  /** 4 or 6; taken from the addresses when encoding */
  family: 4 | 6;
  /** IP protocol number: 17 UDP, 6 TCP (TLS, WS and WSS ride on TCP) */
  ipProtocol: number;
  srcAddress: string;
  srcPort: number;
  dstAddress: string;
  dstPort: number;
  /** capture time */
  timeSec: number;
  timeUsec: number;
  /** 1 = SIP */
  protocolType: number;
  captureId: number;
  authKey: string | null;
  correlationId: string | null;
  payload: Buffer;
}

export interface HepInput {
  ipProtocol: number;
  srcAddress: string;
  srcPort: number;
  dstAddress: string;
  dstPort: number;
  /** epoch milliseconds (fractional allowed) */
  timeMs: number;
  captureId: number;
  authKey?: string | null;
  correlationId?: string | null;
  payload: Uint8Array;
  protocolType?: number;
}

const HEADER = 6;
const ZERO4 = '0.0.0.0';
const ZERO6 = '::';

/** Encodes one captured message. Addresses that are not IP literals are sent as 0.0.0.0 / ::. */
export function encodeHep3(p: HepInput): Buffer {
  const v6 = isIPv6(p.srcAddress) || isIPv6(p.dstAddress);
  const auth = p.authKey != null && p.authKey !== '' ? Buffer.from(p.authKey, 'utf8') : null;
  const corr =
    p.correlationId != null && p.correlationId !== '' ? Buffer.from(p.correlationId, 'utf8') : null;
  const addrLen = v6 ? 16 : 4;
  const size =
    6 + // magic + length
    (HEADER + 1) * 2 + // family, protocol
    (HEADER + addrLen) * 2 +
    (HEADER + 2) * 2 + // ports
    (HEADER + 4) * 2 + // timestamps
    (HEADER + 1) + // protocol type
    (HEADER + 4) + // capture id
    (auth !== null ? HEADER + auth.length : 0) +
    (HEADER + p.payload.length) +
    (corr !== null ? HEADER + corr.length : 0);
  if (size > 0xffff) throw new RangeError(`HEP packet too large (${size} bytes)`);
  const b = Buffer.allocUnsafe(size);
  b.write('HEP3', 0, 'latin1');
  b.writeUInt16BE(size, 4);
  let o = 6;
  const head = (type: number, len: number): void => {
    b.writeUInt16BE(0, o);
    b.writeUInt16BE(type, o + 2);
    b.writeUInt16BE(HEADER + len, o + 4);
    o += HEADER;
  };
  head(HepChunk.IpFamily, 1);
  b.writeUInt8(v6 ? HEP_FAMILY_IPV6 : HEP_FAMILY_IPV4, o++);
  head(HepChunk.IpProtocol, 1);
  b.writeUInt8(p.ipProtocol, o++);
  if (v6) {
    head(HepChunk.SrcIp6, 16);
    o = writeIp6(b, o, isIPv6(p.srcAddress) ? p.srcAddress : ZERO6);
    head(HepChunk.DstIp6, 16);
    o = writeIp6(b, o, isIPv6(p.dstAddress) ? p.dstAddress : ZERO6);
  } else {
    head(HepChunk.SrcIp4, 4);
    o = writeIp4(b, o, isIPv4(p.srcAddress) ? p.srcAddress : ZERO4);
    head(HepChunk.DstIp4, 4);
    o = writeIp4(b, o, isIPv4(p.dstAddress) ? p.dstAddress : ZERO4);
  }
  head(HepChunk.SrcPort, 2);
  b.writeUInt16BE(p.srcPort & 0xffff, o);
  o += 2;
  head(HepChunk.DstPort, 2);
  b.writeUInt16BE(p.dstPort & 0xffff, o);
  o += 2;
  const sec = Math.floor(p.timeMs / 1000);
  const usec = Math.floor((p.timeMs - sec * 1000) * 1000);
  head(HepChunk.TimeSec, 4);
  b.writeUInt32BE(sec >>> 0, o);
  o += 4;
  head(HepChunk.TimeUsec, 4);
  b.writeUInt32BE(usec >>> 0, o);
  o += 4;
  head(HepChunk.ProtoType, 1);
  b.writeUInt8(p.protocolType ?? HEP_TYPE_SIP, o++);
  head(HepChunk.CaptureId, 4);
  b.writeUInt32BE(p.captureId >>> 0, o);
  o += 4;
  if (auth !== null) {
    head(HepChunk.AuthKey, auth.length);
    o += auth.copy(b, o);
  }
  head(HepChunk.Payload, p.payload.length);
  b.set(p.payload, o);
  o += p.payload.length;
  if (corr !== null) {
    head(HepChunk.CorrelationId, corr.length);
    o += corr.copy(b, o);
  }
  return b;
}

export class HepDecodeError extends Error {
  override readonly name = 'HepDecodeError';
}

/** Decodes a HEPv3 packet (unknown chunks are skipped). */
export function decodeHep3(buf: Uint8Array): HepPacket {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 6 || b.toString('latin1', 0, 4) !== 'HEP3')
    throw new HepDecodeError('not a HEP3 packet');
  const total = b.readUInt16BE(4);
  if (total > b.length) throw new HepDecodeError(`truncated: ${b.length} of ${total} bytes`);
  const p: HepPacket = {
    family: 4,
    ipProtocol: 0,
    srcAddress: '',
    srcPort: 0,
    dstAddress: '',
    dstPort: 0,
    timeSec: 0,
    timeUsec: 0,
    protocolType: 0,
    captureId: 0,
    authKey: null,
    correlationId: null,
    payload: Buffer.alloc(0),
  };
  let o = 6;
  while (o + HEADER <= total) {
    const vendor = b.readUInt16BE(o);
    const type = b.readUInt16BE(o + 2);
    const len = b.readUInt16BE(o + 4);
    if (len < HEADER || o + len > total) throw new HepDecodeError(`bad chunk length at ${o}`);
    const v = o + HEADER;
    const n = len - HEADER;
    if (vendor === 0) {
      switch (type as HepChunk) {
        case HepChunk.IpFamily:
          p.family = b.readUInt8(v) === HEP_FAMILY_IPV6 ? 6 : 4;
          break;
        case HepChunk.IpProtocol:
          p.ipProtocol = b.readUInt8(v);
          break;
        case HepChunk.SrcIp4:
          p.srcAddress = readIp4(b, v);
          break;
        case HepChunk.DstIp4:
          p.dstAddress = readIp4(b, v);
          break;
        case HepChunk.SrcIp6:
          p.srcAddress = readIp6(b, v);
          break;
        case HepChunk.DstIp6:
          p.dstAddress = readIp6(b, v);
          break;
        case HepChunk.SrcPort:
          p.srcPort = b.readUInt16BE(v);
          break;
        case HepChunk.DstPort:
          p.dstPort = b.readUInt16BE(v);
          break;
        case HepChunk.TimeSec:
          p.timeSec = b.readUInt32BE(v);
          break;
        case HepChunk.TimeUsec:
          p.timeUsec = b.readUInt32BE(v);
          break;
        case HepChunk.ProtoType:
          p.protocolType = b.readUInt8(v);
          break;
        case HepChunk.CaptureId:
          p.captureId = b.readUInt32BE(v);
          break;
        case HepChunk.AuthKey:
          p.authKey = b.toString('utf8', v, v + n);
          break;
        case HepChunk.Payload:
          p.payload = Buffer.from(b.subarray(v, v + n));
          break;
        case HepChunk.CorrelationId:
          p.correlationId = b.toString('utf8', v, v + n);
          break;
      }
    }
    o += len;
  }
  return p;
}

function writeIp4(b: Buffer, o: number, ip: string): number {
  for (const part of ip.split('.')) b.writeUInt8(Number(part) & 0xff, o++);
  return o;
}

function readIp4(b: Buffer, o: number): string {
  return `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
}

/** Writes an IPv6 literal (with :: compression and an optional dotted IPv4 tail) as 16 bytes. */
function writeIp6(b: Buffer, o: number, ip: string): number {
  const groups = ipv6Groups(ip);
  for (const g of groups) {
    b.writeUInt16BE(g, o);
    o += 2;
  }
  return o;
}

function ipv6Groups(ip: string): number[] {
  let addr = ip.split('%')[0]!;
  const dotted = /^(.*:)(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(addr);
  if (dotted !== null) {
    const [, pre, a, b, c, d] = dotted.map((x, i) => (i < 2 ? x : Number(x))) as [
      string,
      string,
      number,
      number,
      number,
      number,
    ];
    addr = `${pre}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', rest] = addr.split('::') as [string, string | undefined];
  const parse = (s: string): number[] =>
    s === '' ? [] : s.split(':').map((h) => Number.parseInt(h, 16) & 0xffff);
  const left = parse(head);
  const right = rest === undefined ? [] : parse(rest);
  const groups =
    rest === undefined
      ? left
      : [
          ...left,
          ...new Array<number>(Math.max(0, 8 - left.length - right.length)).fill(0),
          ...right,
        ];
  while (groups.length < 8) groups.push(0);
  return groups.slice(0, 8);
}

function readIp6(b: Buffer, o: number): string {
  const parts: string[] = [];
  for (let i = 0; i < 8; i++) parts.push(b.readUInt16BE(o + i * 2).toString(16));
  // compress the longest run of zero groups (RFC 5952 form, as node:net prints it)
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (parts[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && parts[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return parts.join(':');
  return `${parts.slice(0, best).join(':')}::${parts.slice(best + bestLen).join(':')}`;
}
