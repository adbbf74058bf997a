// Regression: emails were compared as typed, so "josé" with a composed é and with e + U+0301 made
// two accounts that look identical.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrationsFolder } from '../src/db/client.js';
import { queryRows } from './helpers/db.js';
import { gql, PASSWORD, signUpUser } from './helpers/graphql.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const LOGIN = 'mutation($e: String!) { login(input: { email: $e, password: "correct horse battery staple" }) { user { id email } } }';

describe('emails in Unicode NFC', () => {
  let server: TestServer;
  beforeAll(async () => { server = await startTestServer(); });
  afterAll(async () => { await server.close(); });

  it('are one account however the accents were typed', async () => {
    const local = `jose-${Date.now()}`;
    const decomposed = `${local}-Jose\u0301@example.com`;
    const composed = `${local}-jos\u00e9@example.com`;
    const account = await signUpUser(server, { email: decomposed });
    expect(account.user.email).toBe(composed);
    expect((await gql(server, LOGIN, { variables: { e: composed } })).data?.login.user.id).toBe(account.user.id);
    expect((await gql(server, LOGIN, { variables: { e: decomposed } })).data?.login.user.id).toBe(account.user.id);
    const again = await gql(server, 'mutation($e: String!, $p: String!) { signUp(input: { email: $e, password: $p }) { user { id } } }', { variables: { e: composed, p: PASSWORD } });
    expect(again.code).toBe('EMAIL_TAKEN');
  });

  it('are rewritten by the migration, except where that would clash with an existing account', async () => {
    const insert = (email: string) => server.database.db.execute(sql`INSERT INTO users (email, password_hash, created_at) VALUES (${email}, 'x', now())`);
    await insert('zoe\u0308-old@example.com');
    await insert('ana\u0308-dup@example.com');
    await insert('an\u00e4-dup@example.com');
    const migration = await readFile(join(migrationsFolder, '0006_email_nfc.sql'), 'utf8');
    await server.database.db.execute(sql.raw(migration));
    const emails = (await queryRows<{ email: string }>(server.database, sql`SELECT email FROM users WHERE email LIKE '%-old@%' OR email LIKE '%-dup@%' ORDER BY email`)).map((row) => row.email);
    expect(emails).toEqual(['an\u00e4-dup@example.com', 'ana\u0308-dup@example.com', 'zo\u00eb-old@example.com'].sort());
  });
});
