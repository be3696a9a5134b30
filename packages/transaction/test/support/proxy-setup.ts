/** A proxy between a caller (10.0.0.1) and up to three callees (10.0.0.2–4). */
import { isSipUri, type SipRequest } from '@strata/parser';
import type { StatefulProxy } from '../../src/proxy/stateful-proxy.js';
import type { ProxyTarget, RouteDecision, StatefulProxyOptions } from '../../src/proxy/types.js';
import type { TimerConfig } from '../../src/timers.js';
import { createHarness, createProxy, udp, type Harness } from './harness.js';
import { Peer, requestText, uniq, type RequestSpec } from './sip.js';

export interface ProxySetup {
  h: Harness;
  proxy: StatefulProxy;
  caller: Peer;
  callees: [Peer, Peer, Peer];
  /** what the router answers for out-of-dialog requests (change per test) */
  targets: () => ProxyTarget[] | RouteDecision;
  /** send an INVITE from the caller; returns its text for retransmission */
  invite(spec?: Partial<RequestSpec>): string;
  callId: string;
  branch: string;
}

export function target(address: string, extra: Partial<ProxyTarget> = {}): ProxyTarget {
  return { uri: `sip:bob@${address}:5060`, destination: udp(address), ...extra };
}

export function setupProxy(
  options: Partial<StatefulProxyOptions> = {},
  config: Partial<TimerConfig> = {},
): ProxySetup {
  const h = createHarness(config);
  const caller = new Peer(h.network, '10.0.0.1');
  const callees: [Peer, Peer, Peer] = [
    new Peer(h.network, '10.0.0.2'),
    new Peer(h.network, '10.0.0.3'),
    new Peer(h.network, '10.0.0.4'),
  ];
  const s: ProxySetup = {
    h,
    caller,
    callees,
    targets: () => [target('10.0.0.2')],
    callId: uniq('call-'),
    branch: 'z9hG4bK' + uniq('inv'),
    invite(spec = {}) {
      const text = requestText({
        method: 'INVITE',
        callId: s.callId,
        branch: s.branch,
        ...spec,
      });
      void caller.send(text);
      return text;
    },
    proxy: undefined as unknown as StatefulProxy,
  };
  s.proxy = createProxy(h, {
    router: (request: SipRequest): RouteDecision => {
      if (request.method === 'ACK' || request.toTag !== null) {
        // in-dialog: the Request-URI is the remote target
        const uri = request.requestUri;
        if (!isSipUri(uri)) return { action: 'reply', status: 416 };
        return {
          action: 'relay',
          targets: [{ uri: request.uri, destination: udp(uri.host, uri.port ?? 5060) }],
        };
      }
      const t = s.targets();
      return Array.isArray(t) ? { action: 'relay', targets: t } : t;
    },
    ...options,
  });
  return s;
}

/** The caller's ACK for a 2xx from `callee` (a new transaction, sent to the proxy). */
export function ackFor2xx(s: ProxySetup, callee: Peer): string {
  return requestText({
    method: 'ACK',
    callId: s.callId,
    uri: `sip:bob@${callee.address}:5060`,
    toTag: callee.toTag,
  });
}

/** The caller's ACK for a non-2xx final (same branch as the INVITE, hop by hop). */
export function ackForFailure(s: ProxySetup, toTag: string): string {
  return requestText({ method: 'ACK', callId: s.callId, branch: s.branch, toTag });
}
