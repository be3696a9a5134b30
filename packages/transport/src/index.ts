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
