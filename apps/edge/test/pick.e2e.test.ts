/**
 * Ring consistency across processes: two edge processes with the same config
 * (`--pick` mode) choose the same core for each of 10,000 Call-IDs; adding a
 * 4th core to 3 remaps at most 30% of them, all to the new core.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { assertBuilt, EDGE_MAIN, edgeEnv, type Core } from './support/harness.js';

const callIds = Array.from(
  { length: 10_000 },
  (_, i) => `${i.toString(16)}-${((i * 2654435761) >>> 0).toString(36)}@host-${i % 97}.example.com`,
);
const three: Core[] = [1, 2, 3].map((n) => ({ id: `core-${n}`, uri: `sip:10.0.0.${n}:5070` }));
const four: Core[] = [...three, { id: 'core-4', uri: 'sip:10.0.0.4:5070' }];

function pick(cores: Core[]): Promise<string[]> {
  assertBuilt();
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('STRATA_')) env[k] = v;
    const proc = spawn(process.execPath, [EDGE_MAIN, '--pick'], {
      env: { ...env, ...edgeEnv(cores) },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    proc.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    proc.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    // 'close' (stdio drained), not 'exit': the answer is larger than a pipe buffer
    proc.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`--pick exited ${code}: ${err}`));
      else resolve(out.trimEnd().split('\n'));
    });
    proc.stdin.end(callIds.join('\n') + '\n');
  });
}

describe('edge --pick: the same ring in every process', () => {
  it('two processes, same config: identical choices for 10,000 Call-IDs; a 4th core remaps ≤ 30%', async () => {
    const [a, b, c] = await Promise.all([pick(three), pick(three), pick(four)]);
    expect(a).toHaveLength(callIds.length);
    expect(b).toEqual(a);
    const share = new Map<string, number>();
    for (const id of a) share.set(id, (share.get(id) ?? 0) + 1);
    expect([...share.keys()].sort()).toEqual(['core-1', 'core-2', 'core-3']);
    for (const n of share.values()) expect(n).toBeGreaterThan(2_000);

    let moved = 0;
    for (let i = 0; i < callIds.length; i++) {
      if (c[i] !== a[i]) {
        moved++;
        expect(c[i]).toBe('core-4');
      }
    }
    expect(moved / callIds.length).toBeLessThanOrEqual(0.3);
    expect(moved).toBeGreaterThan(0);
  });
});
