import type { PGlite } from '@electric-sql/pglite';
import postgres from 'postgres';

/** What a listener reports: each notification, and the state of its connection. */
export interface ListenerEvents {
  notification(payload: string): void;
  /** The listening connection dropped: notifications sent from now on may be missed. */
  connectionLost(): void;
  /** Connecting failed; another try follows in `retryInMs`. */
  connectFailed(error: unknown, retryInMs: number): void;
  /** Listening again after a loss: whatever was sent in the gap is gone, so re-check. */
  reconnected(): void;
}

export interface Listener {
  /** Whether LISTEN is in effect now, so that no notification can be missed. */
  isListening(): boolean;
  close(): Promise<void>;
}

const MAX_RETRY_MS = 5_000;
/** Shown in `pg_stat_activity`, so an operator (or a test) can find the listening connection: the session events'. */
export const LISTENER_APPLICATION_NAME = 'session-server-listener';
/** The webhook dispatcher's listening connection. */
export const WEBHOOK_LISTENER_APPLICATION_NAME = 'session-server-webhooks';

/**
 * LISTENs on one dedicated Postgres connection, reconnecting for as long as it is open.
 * Resolves once the first LISTEN has succeeded, or after the first failure, which is reported
 * and retried like any other: the server starts either way.
 */
export function listenOnPostgres(url: string, channel: string, events: ListenerEvents, applicationName = LISTENER_APPLICATION_NAME): Promise<Listener> {
  let state: 'connecting' | 'listening' | 'closed' = 'connecting';
  let hasListened = false;
  let retryTimer: NodeJS.Timeout | undefined;
  const options = {
    max: 1,
    idle_timeout: undefined,
    max_lifetime: null,
    fetch_types: false,
    // postgres.js reconnects on its own with its backoff; this loop decides when instead.
    backoff: false,
    onnotice: () => {},
    connection: { application_name: applicationName },
    onclose: () => {
      if (state !== 'listening') return;
      state = 'connecting';
      events.connectionLost();
      void connect(0);
    },
    // Not in postgres.js's option types, but the hook its own `listen` is built on.
    onnotify: (from: string, payload: string) => {
      if (from === channel) events.notification(payload);
    },
  };
  const client = postgres(url, options as postgres.Options<Record<string, postgres.PostgresType>>);

  async function connect(attempt: number): Promise<void> {
    try {
      await client.unsafe(`LISTEN "${channel.replaceAll('"', '""')}"`);
    } catch (error) {
      if (state === 'closed') return;
      const retryInMs = Math.min(100 * 2 ** attempt, MAX_RETRY_MS);
      events.connectFailed(error, retryInMs);
      retryTimer = setTimeout(() => void connect(attempt + 1), retryInMs);
      return;
    }
    if (state === 'closed') return;
    state = 'listening';
    // Anything but a first attempt that worked at once means a gap in which notifications were lost.
    if (hasListened || attempt > 0) events.reconnected();
    hasListened = true;
  }

  return connect(0).then(() => ({
    isListening: () => state === 'listening',
    close: async () => {
      state = 'closed';
      clearTimeout(retryTimer);
      await client.end({ timeout: 1 });
    },
  }));
}

/** PGlite runs in this process: its notifications cannot be lost, so there is nothing to reconnect. */
export async function listenOnPglite(client: PGlite, channel: string, events: ListenerEvents): Promise<Listener> {
  const unlisten = await client.listen(channel, (payload) => events.notification(payload));
  return {
    isListening: () => !client.closed,
    close: async () => {
      if (!client.closed) await unlisten();
    },
  };
}
