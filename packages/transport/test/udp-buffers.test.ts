/**
 * UDP socket buffer sizes: the kernel caps SO_RCVBUF at net.core.rmem_max without an error,
 * so a listener that got less than configured has to say so (Linux: socket(7), the size
 * read back is twice the size granted).
 */
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { SipTransport } from '../src/sip-transport.js';

const linux = process.platform === 'linux';
const rmemMax = linux ? Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8').trim()) : 0;
const open: SipTransport[] = [];

afterEach(async () => {
  for (const t of open.splice(0)) await t.stop();
});

async function udpWithBuffer(recvBufferSize: number): Promise<Record<string, unknown>[]> {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'warn' },
    { write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) },
  );
  const t = new SipTransport({
    listeners: [{ transport: 'udp', address: '127.0.0.1', port: 0, recvBufferSize }],
    logger,
  });
  open.push(t);
  await t.start();
  return lines;
}

const capped = (lines: Record<string, unknown>[]): Record<string, unknown>[] =>
  lines.filter((l) => String(l['msg']).startsWith('udp receive buffer smaller than configured'));

describe.runIf(linux)('UDP receive buffer (Linux)', () => {
  it('a size within net.core.rmem_max is granted: no warning', async () => {
    const lines = await udpWithBuffer(Math.min(rmemMax, 1 << 20));
    expect(capped(lines)).toEqual([]);
  });

  it('more than net.core.rmem_max: one warning with the size the kernel granted', async () => {
    const lines = await udpWithBuffer(rmemMax * 2);
    expect(capped(lines)).toHaveLength(1);
    expect(capped(lines)[0]).toMatchObject({
      wanted: rmemMax * 2,
      granted: rmemMax,
      sysctl: 'net.core.rmem_max',
    });
  });
});
