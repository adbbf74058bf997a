/** Users and their sessions for the push benchmark, made over HTTP as real clients make them. */
import { randomBytes } from 'node:crypto';
import { postGraphQL } from './harness.js';

const PASSWORD = 'correct horse battery staple';
/**
 * Each login hashes with argon2id on the server's libuv pool (four threads by default): more
 * logins at once would only queue there and time each other out.
 */
const LOGIN_CONCURRENCY = 4;

const SIGN_UP = 'mutation($input: SignUpInput!) { signUp(input: $input) { accessToken session { id } } }';
const LOGIN = 'mutation($input: LoginInput!) { login(input: $input) { accessToken session { id } } }';

export interface BenchSession {
  sessionId: string;
  accessToken: string;
}

export interface BenchUser {
  /** The session made by sign-up: it revokes the others and holds no socket. */
  admin: BenchSession;
  /** One login each, in creation order. */
  sessions: BenchSession[];
}

type AuthPayload = { accessToken: string; session: { id: string } };

/** Signs up a new user and logs it in `count` more times. */
export async function createUserWithSessions(url: string, count: number): Promise<BenchUser> {
  const input = { email: `push-${randomBytes(6).toString('hex')}@example.com`, password: PASSWORD };
  const signedUp = await callGraphQL<{ signUp: AuthPayload }>(url, SIGN_UP, { input });
  const sessions: BenchSession[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      const { login } = await callGraphQL<{ login: AuthPayload }>(url, LOGIN, { input });
      sessions[index] = toSession(login);
    }
  };
  await Promise.all(Array.from({ length: LOGIN_CONCURRENCY }, worker));
  return { admin: toSession(signedUp.signUp), sessions };
}

function toSession({ accessToken, session }: AuthPayload): BenchSession {
  return { sessionId: session.id, accessToken };
}

export function bearer(token: string): Record<string, string> {
  return { 'content-type': 'application/json', authorization: `Bearer ${token}` };
}

/** One GraphQL call whose `data` is returned; any error or non-200 status throws. */
export async function callGraphQL<T>(url: string, query: string, variables?: Record<string, unknown>, token?: string): Promise<T> {
  const response = await postGraphQL(url, { query, variables }, token ? bearer(token) : undefined);
  return dataOf<T>(response);
}

/** The `data` of a response from `postGraphQL`; throws with the body when there is none or errors. */
export function dataOf<T>(response: { status: number; text: string }): T {
  const body = JSON.parse(response.text) as { data?: T; errors?: unknown[] };
  if (response.status !== 200 || !body.data || body.errors) throw new Error(`GraphQL call failed (HTTP ${response.status}): ${response.text}`);
  return body.data;
}
