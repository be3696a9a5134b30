import { DEFAULT_UDP_RECV_BUFFER, transportListeners } from '@strata/config';
import { describe, expect, it } from 'vitest';
import { loadEdgeConfig } from '../src/config.js';

describe('the embedded default config (what `npm start` runs)', () => {
  it('the UDP listener asks for a 4 MiB receive buffer; TCP has none', () => {
    const c = loadEdgeConfig({ env: {} });
    const listeners = transportListeners(c.listen, c.udp);
    expect(listeners.find((l) => l.transport === 'udp')?.recvBufferSize).toBe(
      DEFAULT_UDP_RECV_BUFFER,
    );
    expect(listeners.find((l) => l.transport === 'tcp')?.recvBufferSize).toBeUndefined();
  });
});
