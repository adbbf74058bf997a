// Every document the client sends, named: the server labels its metrics by operation name, and
// tests/client-operations.test.ts validates each one against the committed schema.graphql.

/** A GraphQL document as text, carrying the types of its result and variables for `request`. */
export type TypedDocument<TData = Record<string, unknown>, TVariables = Record<string, unknown>> = string & {
  readonly __result?: TData;
  readonly __variables?: TVariables;
};

/** Why a session ended (the schema's `RevocationReason`). */
export type RevocationReason = 'LOGOUT' | 'REVOKED' | 'EXPIRED' | 'REFRESH_TOKEN_REUSE' | 'PASSWORD_CHANGED' | 'SESSION_LIMIT';

export type DeviceType = 'BOT' | 'CONSOLE' | 'DESKTOP' | 'EMBEDDED' | 'MOBILE' | 'TABLET' | 'TV' | 'UNKNOWN' | 'WEARABLE';

/** What the client knows of its device (`DeviceInfoInput`); every field is optional. */
export interface DeviceInfo {
  deviceName?: string;
  deviceId?: string;
  os?: string;
  browser?: string;
  cpuCores?: number;
  ramGb?: number;
  internetSpeedMbps?: number;
}

export interface Credentials {
  email: string;
  password: string;
  device?: DeviceInfo;
}

export interface User {
  id: string;
  /** Null only for a user of an app with its own sign-in whose backend gave no email. */
  email: string | null;
  /** The app's own id for a user it signs in itself (issueSession); null for an account that signed up here. */
  externalId: string | null;
  createdAt: string;
}

/** One signed-in device. Dates are ISO strings. */
export interface Session {
  id: string;
  deviceName: string;
  /** What the device is ("Safari on iPhone"), whatever its name. */
  deviceLabel: string;
  deviceType: DeviceType;
  os: string | null;
  browser: string | null;
  deviceId: string | null;
  ipAddress: string | null;
  location: { city: string | null; region: string | null; country: string | null; countryCode: string | null } | null;
  createdAt: string;
  lastActiveAt: string;
  expiresAt: string;
  /** Whether its sign-in was from a device the user had never used before. */
  isNewDevice: boolean;
  isCurrent: boolean;
  /** Whether it is bound to a key that never leaves its device (DPoP): copies of its tokens are useless elsewhere. */
  isDeviceBound: boolean;
}

export interface AuthPayload {
  accessToken: string;
  accessTokenExpiresAt: string;
  /** Null in cookie mode: the server put it in an HttpOnly cookie. */
  refreshToken: string | null;
  isNewDevice: boolean;
  user: User;
  session: Session;
}

const SESSION_FIELDS = `id deviceName deviceLabel deviceType os browser deviceId ipAddress location { city region country countryCode } createdAt lastActiveAt expiresAt isNewDevice isCurrent isDeviceBound`;
const AUTH_FIELDS = `accessToken accessTokenExpiresAt refreshToken isNewDevice user { id email externalId createdAt } session { ${SESSION_FIELDS} }`;

type AuthInput = Credentials & { refreshTokenInCookie?: boolean };

export const SIGN_UP = `mutation SignUp($input: SignUpInput!) { signUp(input: $input) { ${AUTH_FIELDS} } }` as TypedDocument<{ signUp: AuthPayload }, { input: AuthInput }>;

export const LOGIN = `mutation Login($input: LoginInput!) { login(input: $input) { ${AUTH_FIELDS} } }` as TypedDocument<{ login: AuthPayload }, { input: AuthInput }>;

export const REFRESH_SESSION = `mutation RefreshSession($refreshToken: String!) { refreshSession(refreshToken: $refreshToken) { ${AUTH_FIELDS} } }` as TypedDocument<
  { refreshSession: AuthPayload },
  { refreshToken: string }
>;

/** Cookie mode: the server reads the refresh token from its HttpOnly cookie, and sets the next one there. */
export const REFRESH_SESSION_FROM_COOKIE = `mutation RefreshSession { refreshSession { ${AUTH_FIELDS} } }` as TypedDocument<{ refreshSession: AuthPayload }, Record<string, never>>;

/** Takes over a session the app's backend got from issueSession: its refresh token spent for a pair of the client's own. */
export const ADOPT_SESSION = `mutation AdoptSession($refreshToken: String!, $refreshTokenInCookie: Boolean!) {
  refreshSession(refreshToken: $refreshToken, refreshTokenInCookie: $refreshTokenInCookie) { ${AUTH_FIELDS} }
}` as TypedDocument<{ refreshSession: AuthPayload }, { refreshToken: string; refreshTokenInCookie: boolean }>;

export const LOGOUT = 'mutation Logout { logout }' as TypedDocument<{ logout: boolean }, Record<string, never>>;

export const REAUTHENTICATE = 'mutation Reauthenticate($password: String!) { reauthenticate(password: $password) }' as TypedDocument<
  { reauthenticate: boolean },
  { password: string }
>;

export const MY_SESSIONS = `query MySessions { mySessions { ${SESSION_FIELDS} } }` as TypedDocument<{ mySessions: Session[] }, Record<string, never>>;

export const REVOKE_SESSION = 'mutation RevokeSession($id: ID!) { revokeSession(id: $id) }' as TypedDocument<{ revokeSession: boolean }, { id: string }>;

export const RENAME_SESSION = `mutation RenameSession($id: ID!, $name: String!) { renameSession(id: $id, name: $name) { ${SESSION_FIELDS} } }` as TypedDocument<
  { renameSession: Session },
  { id: string; name: string }
>;

export const REVOKE_OTHER_SESSIONS = 'mutation RevokeOtherSessions { revokeOtherSessions }' as TypedDocument<{ revokeOtherSessions: number }, Record<string, never>>;

export const REVOKE_ALL_SESSIONS = 'mutation RevokeAllSessions { revokeAllSessions }' as TypedDocument<{ revokeAllSessions: number }, Record<string, never>>;

export const SESSION_REVOKED = 'subscription SessionRevoked { sessionRevoked { sessionId reason revokedAt } }' as TypedDocument<
  { sessionRevoked: { sessionId: string; reason: RevocationReason; revokedAt: string } },
  Record<string, never>
>;

/** The operation name of a document (`mutation RefreshSession …` → `RefreshSession`), sent as `operationName`. */
export function operationNameOf(document: string): string | undefined {
  return /^\s*(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)/.exec(document)?.[1];
}
