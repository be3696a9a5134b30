import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadCoreConfig } from '../src/config.js';

describe('strata-core.example.yaml', () => {
  it('is a valid config', () => {
    const file = fileURLToPath(new URL('../strata-core.example.yaml', import.meta.url));
    const c = loadCoreConfig({ file, env: {} });
    expect(c.routes.map((r) => r.name)).toEqual(['register', 'support', 'sales', 'pstn', 'calls']);
    expect(c.routes.find((r) => r.name === 'sales')?.record).toBe(true);
    expect(c.drain.deadlineSeconds).toBe(60);
    expect(c.store.kind).toBe('redis');
    // issue #13
    expect(Object.keys(c.lcr.carriers)).toEqual(['carrier-a']);
    expect(c.lcr.tables['default']?.csv).toBe('/etc/strata/rates.csv');
    expect(c.forwarding.header).toBe('history-info');
    // issue #14: sinks off as by default, the media server's one-touch code, park slots, codes
    expect(c.events.redisStream.enabled).toBe(false);
    expect(c.events.webhook.url).toBe('');
    expect(c.events.webhook.maxAttempts).toBe(5);
    expect(c.actions.recording.mediaFeatureCode).toBe('*3');
    expect([c.actions.park.firstSlot, c.actions.park.lastSlot]).toEqual([701, 720]);
    expect(c.features.codes.map((f) => `${f.code}:${f.action}`)).toEqual([
      '*2:transfer',
      '*0:park',
      '*9:hangup',
      '*4:record',
      '*5:stop-record',
    ]);
    // the core's record code must not be the media server's own (it also sees relayed INFOs)
    expect(c.features.codes.map((f) => f.code)).not.toContain(c.actions.recording.mediaFeatureCode);
  });
});
