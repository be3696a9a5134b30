import { DEFAULT_UDP_RECV_BUFFER, transportListeners } from '@strata/config';
import { describe, expect, it } from 'vitest';
import { loadCoreConfig } from '../src/config.js';

describe('the embedded default config (what `npm start` runs)', () => {
  it("does not probe the demo's media stand-in, which answers no OPTIONS", () => {
    const c = loadCoreConfig({ env: {} });
    expect(c.mediaGroups['media']?.targets.map((t) => t.uri)).toEqual(['sip:127.0.0.1:5080']);
    expect(c.mediaGroups['media']?.probe.enabled).toBe(false);
  });

  it('a media group a config defines is probed by default', () => {
    const c = loadCoreConfig({
      env: { STRATA_MEDIA_GROUPS: JSON.stringify({ m: { targets: [{ uri: 'sip:10.0.0.5' }] } }) },
    });
    expect(c.mediaGroups['m']?.probe.enabled).toBe(true);
  });

  it('UDP listeners ask for a 4 MiB receive buffer (the kernel default drops under load)', () => {
    const c = loadCoreConfig({ env: {} });
    expect(DEFAULT_UDP_RECV_BUFFER).toBe(4 * 1024 * 1024);
    expect(transportListeners(c.listen, c.udp)).toMatchObject([
      { transport: 'udp', recvBufferSize: DEFAULT_UDP_RECV_BUFFER },
    ]);
  });
});
