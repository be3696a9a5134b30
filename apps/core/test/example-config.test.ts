import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadCoreConfig } from '../src/config.js';

describe('strata-core.example.yaml', () => {
  it('is a valid config', () => {
    const file = fileURLToPath(new URL('../strata-core.example.yaml', import.meta.url));
    const c = loadCoreConfig({ file, env: {} });
    expect(c.routes.map((r) => r.name)).toEqual(['register', 'support', 'calls']);
    expect(c.drain.deadlineSeconds).toBe(60);
    expect(c.store.kind).toBe('redis');
  });
});
