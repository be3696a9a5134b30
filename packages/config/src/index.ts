export { loadConfig, applyEnvOverrides, ConfigError, type LoadOptions } from './load.js';
export {
  logLevelSchema,
  listenerSchema,
  digestAuthSchema,
  redisEndpointSchema,
  udpSocketSchema,
  DEFAULT_UDP_RECV_BUFFER,
  type ListenerConfig,
} from './schemas.js';
export { createRootLogger, type Logger } from './logger.js';
export { transportListeners, type TransportListenerShape, type UdpTuning } from './listeners.js';
