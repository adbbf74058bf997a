// The README's production recipe, run as it is written in a copy of this repository.
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { cp, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, signUpUser } from './helpers/graphql.js';
import { createScratchDatabase, testDriver } from './helpers/server.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);

/** The first `sh` block of the README's "Deploying" section: the install, line by line. */
async function recipe(): Promise<string[]> {
  const readme = await readFile(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Deploying\n'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('README has no ```sh block under ## Deploying');
  return block.trim().split('\n');
}

/** The files git would check out, copied from the working tree: what a deployment starts from. */
async function copyCheckout(target: string): Promise<void> {
  const { stdout } = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, maxBuffer: 16 * 2 ** 20 });
  for (const file of stdout.split('\0').filter(Boolean)) {
    // A file deleted in the working tree but still in the index is not part of the checkout.
    if (await stat(join(root, file)).then(() => true, () => false)) await cp(join(root, file), join(target, file), { recursive: true });
  }
}

describe('the production install of the README', () => {
  let dir: string;
  const database = { env: {} as Record<string, string>, drop: async () => {} };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sessions-deploy-'));
    await copyCheckout(dir);
    for (const line of await recipe()) {
      // From npm's cache where it can: the recipe is the same, the test need not wait on the registry.
      await run('bash', ['-euo', 'pipefail', '-c', line], { cwd: dir, env: { ...process.env, npm_config_prefer_offline: 'true', npm_config_audit: 'false', npm_config_fund: 'false' }, maxBuffer: 64 * 2 ** 20 });
    }
    if (testDriver === 'postgres') {
      const scratch = await createScratchDatabase();
      Object.assign(database, { env: { DATABASE_URL: scratch.url }, drop: scratch.drop });
    } else {
      database.env = { DATA_DIR: join(dir, 'data') };
    }
  }, 600_000);
  afterAll(async () => {
    await database.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('leaves no development dependency, and a built explorer', async () => {
    for (const devOnly of ['typescript', 'tsx', 'vitest', 'esbuild', 'drizzle-kit']) {
      expect(await stat(join(dir, 'node_modules', devOnly)).then(() => devOnly, () => null)).toBeNull();
    }
    expect((await stat(join(dir, 'dist', 'explorer-ui', 'index.html'))).isFile()).toBe(true);
  });

  it('starts with node dist/main.js in production, is ready, and signs up', async () => {
    const child = spawn(process.execPath, ['dist/main.js'], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', AUTH_SECRET: 'p'.repeat(64), HOST: '127.0.0.1', PORT: '0', METRICS: 'off', ...database.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', () => {
          const started = output.split('\n').find((line) => line.includes('"server started"'));
          if (started) resolve((JSON.parse(started) as { url: string }).url);
        });
        child.once('exit', () => reject(new Error(`the installed server exited:\n${output}`)));
      });
      const ready = await fetch(new URL('/readyz', url));
      expect(ready.status).toBe(200);
      const user = await signUpUser({ url });
      expect((await gql({ url }, '{ me { id } }', { token: user.accessToken })).data).toEqual({ me: { id: user.user.id } });
    } finally {
      child.kill('SIGTERM');
      if (child.exitCode === null) await once(child, 'exit');
    }
    expect(child.exitCode).toBe(0);
  }, 60_000);
});

