export { SipParseError, REASON_PHRASES, reasonPhrase, type SipParseErrorCode } from './errors.js';
export { DEFAULT_LIMITS, resolveLimits, type ParserLimits } from './limits.js';
export { parseMessage, findHeaderEnd, type ParseOptions } from './parse.js';
export { serializeMessage, messageToString } from './serialize.js';
export {
  SipRequest,
  SipResponse,
  isRequest,
  isResponse,
  parseCSeqValue,
  MAX_CSEQ,
  type SipMessage,
  type CSeq,
} from './message.js';
export { SipHeaders, makeHeaderLine, type HeaderLine } from './headers.js';
export {
  HotHeader,
  canonicalHeaderName,
  normalizeHeaderName,
  LIST_HEADERS,
} from './header-names.js';
export {
  parseUri,
  serializeUri,
  uriEquals,
  hostOf,
  unescapeUriPart,
  isSipUri,
  isTelUri,
  type Uri,
  type SipUri,
  type TelUri,
  type AbsoluteUri,
  type UriParams,
} from './uri.js';
export { parseNameAddr, serializeNameAddr, type NameAddr } from './name-addr.js';
export {
  parseVia,
  serializeVia,
  viaBranch,
  viaHost,
  defaultPort,
  MAGIC_COOKIE,
  type Via,
} from './via.js';
export {
  readContacts,
  parseContact,
  readNameAddrList,
  readExpires,
  readOptionTags,
  readContentType,
  parseMediaType,
  readSessionExpires,
  readReferTo,
  parseReplaces,
  readReplaces,
  parseAuth,
  readAuth,
  readList,
  type ContactValue,
  type MediaType,
  type SessionExpires,
  type Replaces,
  type AuthValue,
} from './header-values.js';
export {
  splitList,
  unquote,
  quote,
  parseParams,
  serializeParams,
  isToken,
  type Params,
} from './grammar.js';
export {
  validateRequest,
  validateResponse,
  KNOWN_METHODS,
  type ValidationFailure,
  type ValidateOptions,
  type DropReason,
} from './validate.js';
export {
  createResponse,
  generateTag,
  generateBranch,
  pushVia,
  popVia,
  pushRecordRoute,
  pushRoute,
  popRoute,
  decrementMaxForwards,
  type CreateResponseOptions,
} from './builders.js';
export { StreamFramer, type StreamFramerHandlers, type StreamFramerOptions } from './framer.js';
