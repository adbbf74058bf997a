import { randomUUID } from 'node:crypto';
import type { TestServer } from './server.js';

export interface GraphQLResponse<T = Record<string, any>> {
  status: number;
  data: T | null | undefined;
  errors: Array<{ message: string; path?: string[]; extensions?: Record<string, any> }> | undefined;
  /** The first error's `extensions.code`. */
  code: string | undefined;
}

export interface RequestOptions {
  variables?: Record<string, unknown>;
  token?: string;
  headers?: Record<string, string>;
}

/** Posts one GraphQL operation to the server over HTTP, as any client would. */
export async function gql<T = Record<string, any>>(server: Pick<TestServer, 'url'>, query: string, options: RequestOptions = {}): Promise<GraphQLResponse<T>> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const response = await fetch(server.url, { method: 'POST', headers, body: JSON.stringify({ query, variables: options.variables }) });
  const body = (await response.json()) as { data?: T | null; errors?: GraphQLResponse['errors'] };
  return { status: response.status, data: body.data, errors: body.errors, code: body.errors?.[0]?.extensions?.code };
}

export const AUTH_FIELDS = `
  accessToken refreshToken accessTokenExpiresAt
  user { id email externalId createdAt }
  session { id deviceName deviceType os browser deviceId userAgent ipAddress cpuCores ramGb internetSpeedMbps createdAt lastActiveAt expiresAt isCurrent }
`;

export interface AuthPayload {
  accessToken: string;
  refreshToken: string;
  accessTokenExpiresAt: string;
  user: { id: string; email: string; externalId: string | null; createdAt: string };
  session: Record<string, any> & { id: string };
}

export const PASSWORD = 'correct horse battery staple';

export function uniqueEmail(): string {
  return `user-${randomUUID()}@example.com`;
}

/** Creates an account and returns its first session's tokens. */
export async function signUpUser(server: Pick<TestServer, 'url'>, input: Record<string, unknown> = {}, headers?: Record<string, string>): Promise<AuthPayload> {
  const result = await gql<{ signUp: AuthPayload }>(server, `mutation($input: SignUpInput!) { signUp(input: $input) { ${AUTH_FIELDS} } }`, {
    variables: { input: { email: uniqueEmail(), password: PASSWORD, ...input } },
    headers,
  });
  if (!result.data?.signUp) throw new Error(`signUp failed: ${JSON.stringify(result.errors)}`);
  return result.data.signUp;
}

/** Signs in again as an existing user: a new session. */
export async function loginUser(server: Pick<TestServer, 'url'>, email: string, input: Record<string, unknown> = {}, headers?: Record<string, string>): Promise<AuthPayload> {
  const result = await gql<{ login: AuthPayload }>(server, `mutation($input: LoginInput!) { login(input: $input) { ${AUTH_FIELDS} } }`, {
    variables: { input: { email, password: PASSWORD, ...input } },
    headers,
  });
  if (!result.data?.login) throw new Error(`login failed: ${JSON.stringify(result.errors)}`);
  return result.data.login;
}

export const MY_SESSIONS = '{ mySessions { id deviceName os browser cpuCores ramGb internetSpeedMbps ipAddress isCurrent lastActiveAt } }';

export const ISSUE_SESSION = `mutation($input: IssueSessionInput!) { issueSession(input: $input) { ${AUTH_FIELDS} isNewDevice } }`;

/** A session for a user of the app's own sign-in, asked for with a service key holding sessions:issue. */
export async function issueSessionFor(server: Pick<TestServer, 'url'>, key: string, input: Record<string, unknown>): Promise<AuthPayload & { isNewDevice: boolean }> {
  const result = await gql<{ issueSession: AuthPayload & { isNewDevice: boolean } }>(server, ISSUE_SESSION, { token: key, variables: { input } });
  if (!result.data?.issueSession) throw new Error(`issueSession failed: ${JSON.stringify(result.errors)}`);
  return result.data.issueSession;
}
