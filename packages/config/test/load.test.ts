import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { applyEnvOverrides, ConfigError, loadConfig } from '../src/index.js';

const schema = z.object({
  nodeId: z.string().default('n1'),
  health: z.object({ intervalMs: z.number().int().min(50).default(1000) }).default({}),
  cores: z.array(z.object({ id: z.string(), uri: z.string().startsWith('sip:') })).default([]),
});

describe('loadConfig', () => {
  it('applies defaults, the YAML file, then env overrides', () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-config-'));
    const file = join(dir, 'c.yaml');
    writeFileSync(file, 'nodeId: from-file\nhealth:\n  intervalMs: 200\n');
    const cfg = loadConfig(schema, { file, env: { STRATA_HEALTH__INTERVAL_MS: '500' } });
    expect(cfg).toEqual({ nodeId: 'from-file', health: { intervalMs: 500 }, cores: [] });
  });

  it('parses JSON env values and camel-cases keys', () => {
    expect(
      applyEnvOverrides({}, { STRATA_CORES: '[{"id":"c1","uri":"sip:a"}]', STRATA_NODE_ID: 'x' }),
    ).toEqual({
      cores: [{ id: 'c1', uri: 'sip:a' }],
      nodeId: 'x',
    });
  });

  it('names each bad field', () => {
    try {
      loadConfig(schema, {
        env: { STRATA_HEALTH__INTERVAL_MS: '5', STRATA_CORES: '[{"id":"c1","uri":"http:x"}]' },
      });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const issues = (err as ConfigError).issues.join('\n');
      expect(issues).toContain('health.intervalMs');
      expect(issues).toContain('cores.0.uri');
    }
  });
});
