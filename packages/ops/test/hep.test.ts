import dgram from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { decodeHep3, encodeHep3, HepExporter } from '../src/index.js';

const INVITE = Buffer.from(
  'INVITE sip:bob@example.com SIP/2.0\r\n' +
    'Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds\r\n' +
    'Max-Forwards: 70\r\nTo: <sip:bob@example.com>\r\nFrom: <sip:alice@example.com>;tag=1928301774\r\n' +
    'Call-ID: a84b4c76e66710@pc33\r\nCSeq: 314159 INVITE\r\nContent-Length: 0\r\n\r\n',
);

describe('HEPv3 encoder', () => {
  it('IPv4/UDP: every chunk decodes back, byte layout as the spec says', () => {
    const buf = encodeHep3({
      ipProtocol: 17,
      srcAddress: '192.0.2.1',
      srcPort: 5060,
      dstAddress: '198.51.100.7',
      dstPort: 5070,
      timeMs: 1_700_000_000_123.456,
      captureId: 2001,
      authKey: 'secret',
      correlationId: 'a84b4c76e66710@pc33',
      payload: INVITE,
    });
    expect(buf.toString('latin1', 0, 4)).toBe('HEP3');
    expect(buf.readUInt16BE(4)).toBe(buf.length);
    // first chunk: vendor 0, type 1 (IP family), length 7, value 2 (AF_INET)
    expect([buf.readUInt16BE(6), buf.readUInt16BE(8), buf.readUInt16BE(10), buf[12]]).toEqual([
      0, 1, 7, 2,
    ]);
    const p = decodeHep3(buf);
    expect(p).toMatchObject({
      family: 4,
      ipProtocol: 17,
      srcAddress: '192.0.2.1',
      srcPort: 5060,
      dstAddress: '198.51.100.7',
      dstPort: 5070,
      timeSec: 1_700_000_000,
      protocolType: 1,
      captureId: 2001,
      authKey: 'secret',
      correlationId: 'a84b4c76e66710@pc33',
    });
    expect(p.timeUsec).toBeGreaterThanOrEqual(123_455);
    expect(p.timeUsec).toBeLessThanOrEqual(123_457);
    expect(p.payload.equals(INVITE)).toBe(true);
  });

  it('IPv6/TCP, no auth key, no correlation id', () => {
    const buf = encodeHep3({
      ipProtocol: 6,
      srcAddress: '2001:db8::1',
      srcPort: 5061,
      dstAddress: '::ffff:10.0.0.1',
      dstPort: 5060,
      timeMs: 0,
      captureId: 7,
      payload: INVITE,
    });
    const p = decodeHep3(buf);
    expect(p.family).toBe(6);
    expect(p.ipProtocol).toBe(6);
    expect(p.srcAddress).toBe('2001:db8::1');
    expect(p.dstAddress).toBe('::ffff:a00:1');
    expect(p.authKey).toBeNull();
    expect(p.correlationId).toBeNull();
    expect(p.payload.equals(INVITE)).toBe(true);
  });

  it('rejects what is not HEP3', () => {
    expect(() => decodeHep3(Buffer.from('HEP2xx'))).toThrow(/not a HEP3/);
    const ok = encodeHep3({
      ipProtocol: 17,
      srcAddress: '127.0.0.1',
      srcPort: 1,
      dstAddress: '127.0.0.1',
      dstPort: 2,
      timeMs: 0,
      captureId: 1,
      payload: INVITE,
    });
    expect(() => decodeHep3(ok.subarray(0, 40))).toThrow(/truncated/);
  });
});

describe('HepExporter', () => {
  it('sends one UDP datagram per captured message to the collector', async () => {
    const collector = dgram.createSocket('udp4');
    await new Promise<void>((r) => collector.bind(0, '127.0.0.1', () => r()));
    const got = new Promise<Buffer>((resolve) => collector.once('message', (m) => resolve(m)));
    const hep = new HepExporter({
      host: '127.0.0.1',
      port: collector.address().port,
      captureId: 42,
    });
    await hep.start();
    hep.capture(
      INVITE,
      'udp',
      { address: '127.0.0.1', port: 5060 },
      { address: '127.0.0.2', port: 5070 },
      'a84b4c76e66710@pc33',
    );
    const p = decodeHep3(await got);
    expect(p).toMatchObject({
      srcAddress: '127.0.0.1',
      srcPort: 5060,
      dstAddress: '127.0.0.2',
      dstPort: 5070,
      captureId: 42,
      correlationId: 'a84b4c76e66710@pc33',
    });
    expect(p.payload.toString()).toBe(INVITE.toString());
    await hep.close();
    collector.close();
    expect(hep.stats.sent).toBe(1);
  });
});
