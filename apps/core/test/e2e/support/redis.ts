/**
 * A throw-away redis-server on a free port, loopback, no persistence (the idea of
 * packages/dialog/test/support/redis-server.ts). `kill()` crashes it, `restart()` brings
 * it back empty on the same port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection, createServer } from 'node:net';
import { stopProcess } from './harness.js';

function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() =>
        a !== null && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port')),
      );
    });
  });
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    let data = '';
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(300, () => done(false));
    s.once('error', () => done(false));
    s.once('connect', () => s.write('PING\r\n'));
    s.on('data', (c: Buffer) => {
      data += c.toString('latin1');
      if (data.includes('\r\n')) done(data.startsWith('+PONG'));
    });
  });
}

export class TestRedis {
  private proc: ChildProcess | null = null;
  private constructor(readonly port: number) {}

  static async start(): Promise<TestRedis> {
    const r = new TestRedis(await freeTcpPort());
    await r.launch();
    return r;
  }

  async kill(): Promise<void> {
    if (this.proc !== null) await stopProcess(this.proc, 'SIGKILL');
    this.proc = null;
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.launch();
  }

  private async launch(): Promise<void> {
    const proc = spawn(
      process.env['REDIS_SERVER'] ?? 'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    this.proc = proc;
    let exited = false;
    proc.once('exit', () => (exited = true));
    process.once('exit', () => proc.kill('SIGKILL'));
    for (let i = 0; i < 200; i++) {
      if (exited) throw new Error(`redis-server exited on start (port ${this.port})`);
      if (await ping(this.port)) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    await this.kill();
    throw new Error(`redis-server did not answer on ${this.port}`);
  }
}
