/**
 * Counters as plain numbers (the apps export them as metrics). The object
 * keeps one shape for its whole life: every field is set here.
 */

export interface PerTransport {
  udp: number;
  tcp: number;
  tls: number;
  ws: number;
  wss: number;
}

export interface TransportStats {
  messagesIn: PerTransport;
  messagesOut: PerTransport;
  /** messages (datagrams or stream frames) the parser rejected */
  parseErrors: number;
  /** error responses (400, 413, 505 …) sent for unparsable requests */
  errorResponsesSent: number;
  /** datagrams or frames larger than maxMessageSize, dropped */
  droppedOversize: number;
  /** received messages dropped for other reasons (no Via, response to nobody …) */
  dropped: number;
  /** UDP requests above the MTU threshold sent over UDP anyway (RFC 3261 §18.1.1) */
  udpOversizeSent: number;
  /** UDP requests above the MTU threshold moved to TCP */
  udpToTcpSwitched: number;
  connectionsOpen: number;
  connectionsAccepted: number;
  connectionsOutbound: number;
  /** inbound connections refused because maxConnections was reached */
  connectionsRejected: number;
  idleTimeouts: number;
  /** RFC 5626 CRLFCRLF pings answered */
  keepAlivePings: number;
  /** reads paused because a connection's write side was saturated */
  backpressurePauses: number;
  sendErrors: number;
}

function perTransport(): PerTransport {
  return { udp: 0, tcp: 0, tls: 0, ws: 0, wss: 0 };
}

export function createStats(): TransportStats {
  return {
    messagesIn: perTransport(),
    messagesOut: perTransport(),
    parseErrors: 0,
    errorResponsesSent: 0,
    droppedOversize: 0,
    dropped: 0,
    udpOversizeSent: 0,
    udpToTcpSwitched: 0,
    connectionsOpen: 0,
    connectionsAccepted: 0,
    connectionsOutbound: 0,
    connectionsRejected: 0,
    idleTimeouts: 0,
    keepAlivePings: 0,
    backpressurePauses: 0,
    sendErrors: 0,
  };
}

export function snapshotStats(s: TransportStats): TransportStats {
  return { ...s, messagesIn: { ...s.messagesIn }, messagesOut: { ...s.messagesOut } };
}
