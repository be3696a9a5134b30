import { describe, expect, it } from 'vitest';
import { parseMessage, type SipRequest } from '@strata/parser';
import { portText } from '../src/port-text.js';
import { applyReceived } from '../src/via-received.js';
import { flowKey } from '../src/address.js';
import { request } from './helpers.js';

describe('portText', () => {
  it('writes every port as String() does, the first time and when it is kept', () => {
    for (const port of [0, 1, 5060, 40000, 65535]) {
      expect(portText(port)).toBe(String(port));
      expect(portText(port)).toBe(String(port));
    }
  });

  it('writes numbers that are not ports without keeping them', () => {
    for (const n of [-1, 65536, 70000, 1.5, Number.NaN]) {
      expect(portText(n)).toBe(String(n));
      expect(portText(n)).toBe(String(n));
    }
  });

  it('is what the rport fill and the flow keys write, for many source ports in turn', () => {
    for (let port = 1024; port < 65536; port += 997) {
      const text = request({ via: 'SIP/2.0/UDP 10.0.0.1:5060;rport' });
      const msg = parseMessage(Buffer.from(text)) as SipRequest;
      applyReceived(msg, '192.0.2.7', port);
      expect(msg.topViaRaw).toMatch(
        new RegExp(
          `^SIP/2\\.0/UDP 10\\.0\\.0\\.1:5060;rport=${port};branch=[^;]+;received=192\\.0\\.2\\.7$`,
        ),
      );
      expect(flowKey('udp', '192.0.2.7', port)).toBe(`udp|192.0.2.7|${port}`);
    }
  });
});
