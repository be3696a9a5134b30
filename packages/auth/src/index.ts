export {
  StatelessDigest,
  digestResponse,
  isAuthFailure,
  type DigestOptions,
  type DigestVerdict,
} from './digest.js';
export {
  StaticCredentials,
  loadUsersFile,
  type CredentialSource,
  type Credentials,
  type DigestAlgorithm,
} from './credentials.js';
export { RedisCredentials } from './redis-credentials.js';
export {
  openCredentialSource,
  type CredentialConfig,
  type OpenedCredentials,
} from './credential-source.js';
export { MemoryReplayGuard, RedisReplayGuard, type ReplayGuard } from './nonce-replay.js';
export { ASSERTION_HEADER, EdgeAssertion, type AssertionOptions } from './edge-assertion.js';
