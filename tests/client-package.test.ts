// The client as a user installs it: built by `npm run build`'s step into dist/client, and imported
// by its package name through package.json's `exports`, in a plain Node process.
import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PASSWORD, signUpUser } from './helpers/graphql.js';
import { startTestServer, testDriver, type TestServer } from './helpers/server.js';

const run = promisify(execFile);
const root = new URL('..', import.meta.url);

// Signs in with the built client, lists the devices, and prints them.
const SCRIPT = `
import WebSocket from 'ws';
import { createSessionClient } from 'session-device-server/client';
const [url, email, password] = process.argv.slice(1);
const client = createSessionClient({ url, webSocketImpl: WebSocket });
await client.login({ email, password, device: { deviceName: 'Built client' } });
console.log(JSON.stringify((await client.sessions()).map((session) => session.deviceName)));
await client.logout();
client.dispose();
`;

// Once, not per driver: the build is the subject, and two projects building dist/client at once would race.
describe.runIf(testDriver === 'pglite')('the ./client export', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
    await run('npx', ['tsc', '-p', 'src/client/tsconfig.json'], { cwd: root });
  });
  afterAll(async () => { await server.close(); });

  it('is built with its declarations and works from a plain Node process by the package name', async () => {
    await access(new URL('dist/client/index.d.ts', root));
    const owner = await signUpUser(server, { device: { deviceName: 'Laptop' } });
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', SCRIPT, server.url, owner.user.email, PASSWORD], { cwd: root });
    expect(JSON.parse(stdout)).toEqual(['Built client', 'Laptop']);
  });
});
