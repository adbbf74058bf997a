// A login from a device the user never signed in from says so, and the security event records it.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from './helpers/db.js';
import { placeInData } from './helpers/geo-data.js';
import { gql, PASSWORD, signUpUser } from './helpers/graphql.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const LOGIN = 'mutation($input: LoginInput!) { login(input: $input) { isNewDevice session { id } } }';
const CHROME_124_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';
const CHROME_125_WINDOWS = CHROME_124_WINDOWS.replace('Chrome/124', 'Chrome/125');
const FIREFOX_LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0';

describe('new-device detection', () => {
  let server: TestServer;
  beforeAll(async () => { server = await startTestServer({ TRUST_PROXY: '1' }); });
  afterAll(async () => { await server.close(); });

  async function login(email: string, headers: Record<string, string>, device?: Record<string, unknown>) {
    const result = await gql<{ login: { isNewDevice: boolean; session: { id: string } } }>(server, LOGIN, {
      variables: { input: { email, password: PASSWORD, device } },
      headers,
    });
    return result.data!.login;
  }

  it('compares browser, OS and country when the client gives no deviceId; a browser update is not a new device', async () => {
    const lagos = { 'x-forwarded-for': '105.112.34.56' };
    const user = await signUpUser(server, {}, { ...lagos, 'user-agent': CHROME_124_WINDOWS });
    const email = user.user.email;
    expect((await login(email, { ...lagos, 'user-agent': CHROME_124_WINDOWS })).isNewDevice).toBe(false);
    expect((await login(email, { ...lagos, 'user-agent': CHROME_125_WINDOWS })).isNewDevice).toBe(false);
    expect((await login(email, { ...lagos, 'user-agent': FIREFOX_LINUX })).isNewDevice).toBe(true);
    // Same browser and OS from another country (in the bundled data, which a refresh will not move to Nigeria).
    expect((await placeInData('8.8.8.8'))?.countryCode).not.toBe((await placeInData('105.112.34.56'))?.countryCode);
    expect((await login(email, { 'x-forwarded-for': '8.8.8.8', 'user-agent': CHROME_124_WINDOWS })).isNewDevice).toBe(true);
  });

  it('compares deviceId when the client gives one, per user', async () => {
    const user = await signUpUser(server, { device: { deviceId: 'laptop-1' } });
    const other = await signUpUser(server);
    expect((await login(user.user.email, {}, { deviceId: 'laptop-1' })).isNewDevice).toBe(false);
    const phone = await login(user.user.email, {}, { deviceId: 'phone-7' });
    expect(phone.isNewDevice).toBe(true);
    // Another user's device is new to this one.
    expect((await login(other.user.email, {}, { deviceId: 'laptop-1' })).isNewDevice).toBe(true);

    const recorded = await queryRows<{ is_new_device: boolean }>(server.database, sql`
      SELECT is_new_device FROM security_events WHERE type = 'LOGGED_IN' AND session_id = ${phone.session.id}`);
    expect(recorded).toEqual([{ is_new_device: true }]);
  });

  it('calls a sign-up a new device, and a refresh never one', async () => {
    const signUp = await gql(server, 'mutation($input: SignUpInput!) { signUp(input: $input) { isNewDevice refreshToken } }', {
      variables: { input: { email: `new-${Date.now()}@example.com`, password: PASSWORD } },
    });
    expect(signUp.data!.signUp.isNewDevice).toBe(true);
    const refreshed = await gql(server, 'mutation($t: String!) { refreshSession(refreshToken: $t) { isNewDevice } }', { variables: { t: signUp.data!.signUp.refreshToken } });
    expect(refreshed.data).toEqual({ refreshSession: { isNewDevice: false } });
  });
});
