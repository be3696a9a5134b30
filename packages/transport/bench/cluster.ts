/**
 * Multi-process choice, measured: one process vs node:cluster workers sharing
 * the port (UDP: one shared socket; TCP: round-robin connection hand-off).
 * SO_REUSEPORT cannot be measured on Node 20 (no `reusePort` option).
 *
 *   node dist/bench/bench/cluster.js      (after tsc -p tsconfig.bench.json)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { invite } from './message.js';
import { pump } from './pump.js';

const COUNT = Number(process.env.BENCH_COUNT ?? 40_000);
const relay = fileURLToPath(new URL('./cluster-relay.js', import.meta.url));

async function freePort(): Promise<number> {
  const s = net.createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as net.AddressInfo;
  s.close();
  await once(s, 'close');
  return port;
}

async function startRelay(env: Record<string, string>, expectReady: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [relay], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let ready = 0;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('relay not ready')), 10_000);
    child.stdout.on('data', (d: Buffer) => {
      ready += d.toString().split('ready').length - 1;
      if (ready >= expectReady) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return child;
}

async function stopRelay(child: ChildProcess): Promise<void> {
  child.kill('SIGTERM');
  await once(child, 'exit');
}

async function udpRun(workers: number): Promise<number> {
  const port = await freePort();
  const sink = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
  const gen = dgram.createSocket('udp4');
  sink.bind(0, '127.0.0.1');
  gen.bind(0, '127.0.0.1');
  await Promise.all([once(sink, 'listening'), once(gen, 'listening')]);
  const child = await startRelay(
    {
      MODE: 'udp',
      WORKERS: String(workers),
      PORT: String(port),
      SINK_PORT: String(sink.address().port),
    },
    Math.max(1, workers),
  );
  const msgs = Array.from({ length: 256 }, (_, i) => invite('127.0.0.1', gen.address().port, i));
  await pump(2000, port, sink, gen, msgs, 5000, 256);
  const t0 = process.hrtime.bigint();
  const { received } = await pump(COUNT, port, sink, gen, msgs, 15_000, 256);
  const rate = received / (Number(process.hrtime.bigint() - t0) / 1e9);
  await stopRelay(child);
  sink.close();
  gen.close();
  return rate;
}

async function tcpRun(workers: number, connections = 4): Promise<number> {
  const port = await freePort();
  const child = await startRelay(
    { MODE: 'tcp', WORKERS: String(workers), PORT: String(port) },
    Math.max(1, workers),
  );
  const per = Math.floor(COUNT / connections);
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: connections }, async (_, c) => {
      const s = net.connect(port, '127.0.0.1');
      await once(s, 'connect');
      let seen = 0;
      let tail = '';
      const done = new Promise<void>((resolve) => {
        s.on('data', (d: Buffer) => {
          const text = tail + d.toString('latin1');
          seen += text.split('SIP/2.0 200').length - 1;
          tail = text.slice(-12);
          if (seen >= per) resolve();
        });
      });
      // pipelined in batches of 100 so the socket buffers stay bounded
      for (let i = 0; i < per; i += 100) {
        let batch = '';
        for (let j = i; j < Math.min(per, i + 100); j++) {
          batch += invite('127.0.0.1', 5060, c * per + j).toString('latin1');
        }
        if (!s.write(batch, 'latin1')) await once(s, 'drain');
      }
      await done;
      s.destroy();
    }),
  );
  const rate = (per * connections) / (Number(process.hrtime.bigint() - t0) / 1e9);
  await stopRelay(child);
  return rate;
}

async function main(): Promise<void> {
  for (const [name, run] of [
    ['UDP forward', udpRun],
    ['TCP request→200', tcpRun],
  ] as const) {
    const single = await run(0);
    const multi = await run(2);
    console.log(
      `${name.padEnd(16)}: 1 process ${Math.round(single)} msg/s, ` +
        `cluster 2 workers ${Math.round(multi)} msg/s (${(multi / single).toFixed(2)}x)`,
    );
  }
}

void main();
