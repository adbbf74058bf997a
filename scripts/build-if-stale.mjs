// `npm start`'s build, skipped when nothing it reads has changed since the last one: a restart
// then costs the server's own start-up, not 15–40 s of compiling. Plain JavaScript, so that it
// runs before anything is built.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
/** Everything the build reads: sources, migrations, the exact dependencies and compiler settings. */
const INPUTS = ['src', 'drizzle', 'scripts', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'];
const STAMP = join(root, 'dist', '.build-inputs');
/** What a finished build leaves: a stamp with these missing is not believed. */
const OUTPUTS = ['dist/main.js', 'dist/explorer-ui/index.html', 'dist/account-ui/index.html'];

function filesOf(input) {
  const path = join(root, input);
  if (!existsSync(path)) return [];
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath ?? entry.path, entry.name));
}

function digestOfInputs() {
  const hash = createHash('sha256');
  for (const file of INPUTS.flatMap(filesOf).sort()) hash.update(relative(root, file)).update('\0').update(readFileSync(file)).update('\0');
  return hash.digest('hex');
}

const digest = digestOfInputs();
const isBuilt = OUTPUTS.every((output) => existsSync(join(root, output)));
if (isBuilt && existsSync(STAMP) && readFileSync(STAMP, 'utf8') === digest) process.exit(0);
const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
writeFileSync(STAMP, digest);
