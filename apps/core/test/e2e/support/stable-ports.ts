/**
 * Free UDP ports below the kernel's ephemeral range (32768+ on Linux), for ports a test
 * binds late (a carrier's sipp started in the middle of a test): a port found with
 * bind(0) is in the ephemeral range, and another process's bind(0) (a sipp's second
 * socket, another test on the box) may take it before the test binds it again.
 */
import dgram from 'node:dgram';

function tryBind(port: number): Promise<dgram.Socket | null> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => {
      s.close();
      resolve(null);
    });
    s.bind(port, '127.0.0.1', () => resolve(s));
  });
}

export async function stablePorts(n: number, from = 20_000, to = 32_000): Promise<number[]> {
  const held: dgram.Socket[] = [];
  try {
    for (let tries = 0; held.length < n && tries < 1000; tries++) {
      const s = await tryBind(from + Math.floor(Math.random() * (to - from)));
      if (s !== null) held.push(s);
    }
    if (held.length < n) throw new Error(`no ${n} free ports in ${from}–${to}`);
    return held.map((s) => s.address().port);
  } finally {
    await Promise.all(held.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}
