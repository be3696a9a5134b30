/**
 * The relay under test for bench/cluster.ts: one SipTransport per process,
 * either alone (WORKERS=0) or in N node:cluster workers sharing the port.
 * udp: forward each request to SINK_PORT with our Via on top.
 * tcp: answer each request 200 over its connection.
 */
import { pino } from 'pino';
import { createResponse } from '@strata/parser';
import { runClustered } from '../src/cluster.js';
import { SipTransport } from '../src/sip-transport.js';

const mode = process.env.MODE as 'udp' | 'tcp';
const workers = Number(process.env.WORKERS ?? 0);
const port = Number(process.env.PORT);
const sinkPort = Number(process.env.SINK_PORT ?? 0);

async function worker(): Promise<void> {
  const t = new SipTransport({
    logger: pino({ level: 'silent' }),
    listeners: [{ transport: mode, address: '127.0.0.1', port }],
  });
  await t.start();
  const dest = { transport: 'udp' as const, address: '127.0.0.1', port: sinkPort };
  const ignore = (): void => undefined;
  let n = 0;
  t.onMessage((msg, source) => {
    if (!msg.isRequest) return;
    if (mode === 'udp') {
      msg.headers.prepend(
        'Via',
        `SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bKc${process.pid}.${++n}`,
      );
      t.send(msg, dest).catch(ignore);
    } else {
      t.sendResponse(createResponse(msg, 200), source).catch(ignore);
    }
  });
  process.stdout.write('ready\n');
  process.on('SIGTERM', () => void t.stop().then(() => process.exit(0)));
}

if (workers === 0) void worker();
else void runClustered({ workers }, worker);
