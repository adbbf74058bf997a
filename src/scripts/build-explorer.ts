import { buildExplorer } from '../explorer/build.js';
import { explorerBundleDir } from '../explorer/serve.js';

// Run by `npm run build` after tsc, from dist/; esbuild is a dev dependency, as TypeScript is.
await buildExplorer();
console.log(`built the GraphiQL explorer into ${explorerBundleDir}`);
