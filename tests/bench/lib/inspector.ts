/**
 * Forces a full garbage collection in a server started with `--inspect`, through the Chrome
 * DevTools protocol. Without it a memory reading says more about when V8 last collected than
 * about what the server holds: unforced, the RSS delta of 1,000 sockets swung from -12 to +10 KiB each.
 */
import WebSocket from 'ws';
import { findFreePort, sleep } from './harness.js';

/** Lets V8's concurrent sweeper hand freed pages back before the RSS is read. */
const AFTER_GC_MS = 200;

export interface Inspectable {
  /** Node flags that open the inspector, on loopback only. */
  nodeArgs: string[];
  /** Collects garbage; resolves with the bytes the JS heap still uses. */
  collectGarbage(): Promise<number>;
}

export async function inspectable(): Promise<Inspectable> {
  const port = await findFreePort();
  return {
    nodeArgs: [`--inspect=127.0.0.1:${port}`],
    async collectGarbage() {
      const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as Array<{ webSocketDebuggerUrl: string }>;
      const devtools = new WebSocket(targets[0]!.webSocketDebuggerUrl);
      try {
        await new Promise((resolve, reject) => devtools.once('open', resolve).once('error', reject));
        await call(devtools, 1, 'HeapProfiler.collectGarbage');
        const { usedSize } = (await call(devtools, 2, 'Runtime.getHeapUsage')) as { usedSize: number };
        await sleep(AFTER_GC_MS);
        return usedSize;
      } finally {
        devtools.close();
      }
    },
  };
}

/** One DevTools protocol call; its answer is the message with the same id. */
function call(devtools: WebSocket, id: number, method: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const onMessage = (data: WebSocket.RawData) => {
      const message = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string } };
      if (message.id !== id) return;
      devtools.off('message', onMessage);
      if (message.error) reject(new Error(`${method}: ${message.error.message}`));
      else resolve(message.result);
    };
    devtools.on('message', onMessage);
    devtools.send(JSON.stringify({ id, method }));
  });
}
