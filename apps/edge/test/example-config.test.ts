import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadEdgeConfig } from '../src/config.js';

describe('strata-edge.example.yaml', () => {
  it('is a valid config', () => {
    const file = fileURLToPath(new URL('../strata-edge.example.yaml', import.meta.url));
    const c = loadEdgeConfig({ file, env: {} });
    expect(c.cores.map((x) => x.id)).toEqual(['core-1', 'core-2']);
    expect(c.drain).toEqual({ graceSeconds: 5, lingerSeconds: 10 });
    expect(c.hep.enabled).toBe(false);
  });
});
