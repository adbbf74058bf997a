import { buildAccountPage } from '../account/build.js';
import { accountBundleDir } from '../account/serve.js';
import { buildExplorer } from '../explorer/build.js';
import { explorerBundleDir } from '../explorer/serve.js';

// Run by `npm run build` after tsc, from dist/; esbuild is a dev dependency, as TypeScript is.
await buildExplorer();
console.log(`built the GraphiQL explorer into ${explorerBundleDir}`);
const { scriptBytes, stylesheetBytes } = await buildAccountPage();
console.log(`built the account page into ${accountBundleDir}: ${(scriptBytes / 1024).toFixed(1)} KiB of script, ${(stylesheetBytes / 1024).toFixed(1)} KiB of styles`);
