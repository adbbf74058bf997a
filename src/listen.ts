import type { Server } from 'node:http';
import { StartupError } from './config.js';

/** Listening failed for a reason of the set-up: a port taken or not allowed, an address not on this machine. */
export class ListenError extends StartupError {
  override name = 'ListenError';
}

const REASONS: Record<string, string> = {
  EADDRINUSE: 'the port is already in use; stop what listens there, or set PORT',
  EACCES: 'not allowed (ports below 1024 need privileges); set PORT',
  EADDRNOTAVAIL: "the address is not one of this machine's; check HOST",
};

/** Starts listening; a set-up mistake rejects with a `ListenError`, printed as one line. */
export function listen(httpServer: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const refuse = (error: NodeJS.ErrnoException) => {
      const reason = error.code ? REASONS[error.code] : undefined;
      const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
      reject(reason ? new ListenError(`Cannot listen on ${where}: ${reason}.`) : error);
    };
    httpServer.once('error', refuse);
    httpServer.listen(port, host, () => {
      httpServer.off('error', refuse);
      resolve();
    });
  });
}
