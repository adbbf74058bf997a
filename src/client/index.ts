// The official client of the session server: browsers, Node 20 and React Native. No server code here,
// and nothing imported from outside src/client but graphql-ws's client (tests/client-boundary.test.ts).
export { createSessionClient, type SessionClient, type SessionClientOptions, type SignedIn } from './session-client.js';
export { createMemoryStorage, type TokenStorage } from './storage.js';
export { createDeviceSigner, type DpopSigner } from './dpop.js';
export {
  BadUserInputError,
  NotFoundError,
  RateLimitedError,
  ReauthenticationRequiredError,
  SessionClientError,
  UnauthenticatedError,
  type ClientError,
  type GraphQLErrorBody,
  type InputProblem,
} from './errors.js';
export type { AuthPayload, Credentials, DeviceInfo, DeviceType, RevocationReason, Session, TypedDocument, User } from './operations.js';
export type { FetchLike } from './http.js';
export type { Sink } from './session-socket.js';
export type { SignedOutListener } from './session-state.js';
