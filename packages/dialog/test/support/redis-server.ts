/**
 * A throw-away redis-server for tests: real server, no persistence, loopback only.
 * Self-contained (node: built-ins only, no Redis client) so other packages can copy it.
 *
 *   const redis = await RedisTestServer.start();
 *   … redis.port …
 *   await redis.kill();      // crash (SIGKILL)
 *   await redis.restart();   // same port, empty data
 *   await redis.stop();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection, createServer } from 'node:net';

export interface RedisTestServerOptions {
  /** Path of the binary; default `redis-server` on PATH (or $REDIS_SERVER). */
  readonly binary?: string;
  /** Give up waiting for the server after this long. */
  readonly startTimeoutMs?: number;
}

/** Binds port 0 to let the OS pick a free port, then releases it. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      srv.close(() => {
        if (addr !== null && typeof addr === 'object') resolve(addr.port);
        else reject(new Error('no port'));
      });
    });
  });
}

/** One PING over a raw socket; true on +PONG. */
export function ping(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ host, port });
    let data = '';
    const done = (ok: boolean): void => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('error', () => done(false));
    sock.once('connect', () => sock.write('PING\r\n'));
    sock.on('data', (chunk: Buffer) => {
      data += chunk.toString('latin1');
      if (data.includes('\r\n')) done(data.startsWith('+PONG'));
    });
  });
}

export class RedisTestServer {
  readonly host = '127.0.0.1';
  private proc: ChildProcess | null = null;
  private stderr = '';

  private constructor(
    readonly port: number,
    private readonly options: RedisTestServerOptions,
  ) {}

  static async start(options: RedisTestServerOptions = {}): Promise<RedisTestServer> {
    const server = new RedisTestServer(await freePort(), options);
    await server.launch();
    return server;
  }

  get url(): string {
    return `redis://${this.host}:${this.port}`;
  }

  get running(): boolean {
    return this.proc !== null;
  }

  /** Crash the server (SIGKILL) and wait until the process is gone. */
  async kill(): Promise<void> {
    await this.terminate('SIGKILL');
  }

  /** Kill if running, then start again on the same port (data is gone: no persistence). */
  async restart(): Promise<void> {
    if (this.proc !== null) await this.kill();
    await this.launch();
  }

  /** Graceful stop. */
  async stop(): Promise<void> {
    await this.terminate('SIGTERM');
  }

  private async terminate(signal: NodeJS.Signals): Promise<void> {
    const p = this.proc;
    if (p === null) return;
    this.proc = null;
    if (p.exitCode !== null || p.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill(signal);
    });
  }

  private async launch(): Promise<void> {
    const binary = this.options.binary ?? process.env['REDIS_SERVER'] ?? 'redis-server';
    const args = [
      '--port',
      String(this.port),
      '--bind',
      this.host,
      '--save',
      '',
      '--appendonly',
      'no',
      '--protected-mode',
      'no',
    ];
    const proc = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.stderr = '';
    proc.stderr?.on('data', (c: Buffer) => (this.stderr += c.toString()));
    this.proc = proc;
    // Filled in by process events while we poll below.
    const status: { exited: boolean; error: Error | null } = { exited: false, error: null };
    proc.once('exit', () => (status.exited = true));
    proc.once('error', (err) => (status.error = err));

    // Bounded, event-driven wait: poll PING until it answers, the process dies, or the deadline.
    const deadline = Date.now() + (this.options.startTimeoutMs ?? 5_000);
    for (;;) {
      if (status.error !== null) throw status.error;
      if (status.exited) {
        this.proc = null;
        throw new Error(`redis-server exited on start (port ${this.port}): ${this.stderr}`);
      }
      if (await ping(this.host, this.port, 200)) return;
      if (Date.now() > deadline) {
        await this.kill();
        throw new Error(`redis-server did not answer PING on port ${this.port}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
