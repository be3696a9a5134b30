export type {
  TransportProtocol,
  Endpoint,
  MessageSource,
  Destination,
  MessageHandler,
  ViaAddress,
  Transport,
} from './types.js';
export { TransportError, type TransportErrorCode } from './errors.js';
export { SipTransport } from './sip-transport.js';
export type { SipTransportOptions, ListenerConfig, TlsMaterial } from './config.js';
export { DEFAULTS as TRANSPORT_DEFAULTS } from './config.js';
export type { BoundListener } from './listener.js';
export type { Connection } from './connection.js';
export type { TransportStats, PerTransport } from './stats.js';
export { responseDestination } from './response-destination.js';
export { applyReceived } from './via-received.js';
export { errorResponseFor } from './error-response.js';
export { normalizeAddress, hostForVia, protocolFromVia } from './address.js';
export { portText } from './port-text.js';
export { runClustered, type ClusterOptions } from './cluster.js';
export { localAliases, type LocalAlias } from './local-aliases.js';
