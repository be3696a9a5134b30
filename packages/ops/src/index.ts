export {
  decodeHep3,
  encodeHep3,
  HepDecodeError,
  HEP_FAMILY_IPV4,
  HEP_FAMILY_IPV6,
  HEP_PROTO_TCP,
  HEP_PROTO_UDP,
  HEP_TYPE_SIP,
  type HepInput,
  type HepPacket,
} from './hep.js';
export { HepExporter, type HepAddress, type HepExporterOptions } from './hep-exporter.js';
export { peekMessage, SipMessageMetrics, SIP_METHODS } from './sip-metrics.js';
export { callIdOf } from './wire.js';
export { counterFrom, createRegistry, gaugeFrom, type Sample } from './metrics.js';
export {
  adminPolicy,
  createOpsHandler,
  isLoopback,
  sendJson,
  type AdminPolicy,
  type AdminReply,
  type AdminRequest,
  type AdminRoute,
  type OpsHandler,
  type OpsHandlerOptions,
} from './http.js';
export { opsConfigSchema, type OpsConfig } from './config.js';
export { startStatusServer, type StatusServer, type StatusSource } from './status-server.js';
