/**
 * A throwaway network namespace for tests that need a second, real source address
 * (#12 scanners): `ip netns add`, a veth pair with a private /30 (host side .1,
 * namespace side .2), commands run with `ip netns exec`. Only the test's own
 * namespace and veth are touched; `destroy()` kills what runs inside it (processes
 * this test started there) and deletes it, which also removes the veth pair.
 *
 * Why: sipvicious 0.3.3's svwar and svcrack accept `-b <ip>` but never pass it to
 * the scanner (their main() omits `bindingip=`), so they send from 127.0.0.1:5060 —
 * the legitimate client's address — whatever `-b` says. A namespace gives them their
 * own address for real.
 */
import { spawn, spawnSync } from 'node:child_process';

export interface TestNetns {
  name: string;
  /** the edge listens here (host side of the veth) */
  hostIp: string;
  /** the scanners' source address (namespace side) */
  nsIp: string;
  /** run `cmd` inside the namespace, SIGKILLed after `timeoutMs`; stdout+stderr */
  run(cmd: string, args: string[], timeoutMs: number): Promise<string>;
  destroy(): void;
}

function ip(args: string[]): { ok: boolean; out: string } {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 5_000 });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/** Why a namespace cannot be made here, or null when it can (probed by making and deleting one). */
export function netnsUnavailable(): string | null {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root (ip netns needs CAP_SYS_ADMIN)';
  const probe = `strata-probe-${process.pid}`;
  const add = ip(['netns', 'add', probe]);
  if (!add.ok) return `ip netns add failed: ${add.out.trim()}`;
  const veth = ip([
    'link',
    'add',
    `sp${process.pid}h`,
    'type',
    'veth',
    'peer',
    'name',
    `sp${process.pid}n`,
  ]);
  ip(['link', 'del', `sp${process.pid}h`]);
  ip(['netns', 'del', probe]);
  return veth.ok ? null : `veth pair not available: ${veth.out.trim()}`;
}

/** Addresses already on this host's interfaces (to pick a /30 nobody uses). */
function hostAddresses(): string {
  return ip(['-4', '-o', 'addr', 'show']).out;
}

export function createNetns(): TestNetns {
  const pid = process.pid;
  const name = `strata-scan-${pid}`;
  const hostIf = `ss${pid}h`;
  const nsIf = `ss${pid}n`;
  // 10.250.66.0/24 split in /30s; start from one derived from the pid, skip any in use
  const used = hostAddresses();
  let base = -1;
  for (let i = 0; i < 64; i++) {
    const b = ((pid + i) % 64) * 4;
    if (!used.includes(`10.250.66.${b + 1}/`)) {
      base = b;
      break;
    }
  }
  if (base < 0) throw new Error('no free /30 in 10.250.66.0/24');
  const hostIp = `10.250.66.${base + 1}`;
  const nsIp = `10.250.66.${base + 2}`;
  const steps: string[][] = [
    ['netns', 'add', name],
    ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf],
    ['link', 'set', nsIf, 'netns', name],
    ['addr', 'add', `${hostIp}/30`, 'dev', hostIf],
    ['link', 'set', hostIf, 'up'],
    ['-n', name, 'addr', 'add', `${nsIp}/30`, 'dev', nsIf],
    ['-n', name, 'link', 'set', nsIf, 'up'],
    ['-n', name, 'link', 'set', 'lo', 'up'],
  ];
  const destroy = () => {
    // our own processes still running inside (timed-out scanners): by pid, then the namespace
    const pids = ip(['netns', 'pids', name])
      .out.split(/\s+/)
      .filter((p) => /^\d+$/.test(p));
    for (const p of pids) {
      try {
        process.kill(Number(p), 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    ip(['netns', 'del', name]);
    ip(['link', 'del', hostIf]); // normally gone with the namespace
  };
  for (const s of steps) {
    const r = ip(s);
    if (!r.ok) {
      destroy();
      throw new Error(`ip ${s.join(' ')}: ${r.out.trim()}`);
    }
  }
  return {
    name,
    hostIp,
    nsIp,
    destroy,
    run: (cmd, args, timeoutMs) =>
      new Promise((resolve) => {
        const p = spawn('ip', ['netns', 'exec', name, cmd, ...args], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        p.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
        p.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
        const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
        p.on('error', (err) => {
          clearTimeout(timer);
          resolve(`${out}\n${String(err)}`);
        });
        p.on('exit', () => {
          clearTimeout(timer);
          resolve(out);
        });
      }),
  };
}
