import { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import { decodeMessage, deliverMessage, encodeMessages, type SessionEventBus, type SessionEventHandlers } from './session-event-bus.js';

/** Every channel of this server's begins so, that another app on the same Redis keeps its own. */
export const REDIS_CHANNEL_PREFIX = 'session-server:user:';
/** SUBSCRIBE takes any number of channels; this many at a time keeps each command small after a reconnect of an instance holding thousands of users. */
const CHANNELS_PER_SUBSCRIBE = 1_000;

export interface RedisSessionEventBusOptions {
  url: string;
  logger: Logger;
  /**
   * How often every session that holds a socket here is re-checked in the database: a publish
   * lost between a commit and Redis (the publishing instance died, or Redis was away) is
   * caught within this. @default 30
   */
  resyncSeconds: number;
}

/**
 * The bus on Redis pub/sub, one channel per user: an instance subscribes to the users it holds
 * sockets of, so each event reaches only the instances it concerns, not every one. Redis loses
 * whatever is published while a subscriber is away, so after every reconnect, and every
 * `resyncSeconds`, the sessions of open sockets are re-checked in the database; events are
 * published only once their change has committed.
 */
export function createRedisSessionEventBus({ url, logger, resyncSeconds }: RedisSessionEventBusOptions): SessionEventBus {
  // Each user followed, with its SUBSCRIBE: a user's later sockets wait for the same one.
  const followed = new Map<string, Promise<void>>();
  // A publish while Redis is away fails at once rather than waiting in a queue: the subscribers
  // are away too, and re-check the database when they are back.
  const publisher = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, connectionName: 'session-server-publisher' });
  const subscriber = new Redis(url, { lazyConnect: true, autoResubscribe: false, connectionName: 'session-server-listener' });
  let resyncTimer: NodeJS.Timeout | undefined;
  let hasBeenReady = false;
  let isClosing = false;
  publisher.on('error', () => {});

  async function subscribeAll(): Promise<void> {
    const channels = [...followed.keys()].map(channelOf);
    for (let start = 0; start < channels.length; start += CHANNELS_PER_SUBSCRIBE) {
      await subscriber.subscribe(...channels.slice(start, start + CHANNELS_PER_SUBSCRIBE));
    }
  }

  return {
    partsFor: () => [],

    publishCommitted(message) {
      const pipeline = publisher.pipeline();
      for (const { userId, payload } of encodeMessages(message)) if (userId) pipeline.publish(channelOf(userId), payload);
      pipeline.exec().catch((error: unknown) => {
        logger.error({ err: error }, 'could not publish a session event to Redis; the sockets concerned are closed by the next re-check');
      });
    },

    async follow(userId) {
      let subscribed = followed.get(userId);
      if (!subscribed) {
        // Away from Redis, the user is subscribed to with the rest on reconnecting, then re-checked.
        // A SUBSCRIBE that fails while connected failed with the connection: the reconnect
        // subscribes again and re-checks, and the periodic re-check covers the time between.
        const warn = (error: unknown) => logger.warn({ err: error, userId }, 'could not subscribe to a user\'s session events on Redis; retried on reconnecting');
        subscribed = subscriber.status === 'ready' ? subscriber.subscribe(channelOf(userId)).then(() => {}, warn) : Promise.resolve();
        followed.set(userId, subscribed);
      }
      await subscribed;
      // Published before the SUBSCRIBE took effect is lost: the caller re-checks.
      return true;
    },

    unfollow(userId) {
      followed.delete(userId);
      if (subscriber.status === 'ready') subscriber.unsubscribe(channelOf(userId)).catch(() => {});
    },

    async subscribe(handlers: SessionEventHandlers) {
      subscriber.on('message', (channel: string, payload: string) => {
        const message = decodeMessage(payload);
        if (message) deliverMessage(message, handlers);
        else logger.error({ channel }, 'ignored a malformed session event from Redis');
      });
      subscriber.on('ready', () => {
        // Subscribed again before re-checking: anything published after the check is heard.
        void subscribeAll().then(() => {
          if (!hasBeenReady) {
            hasBeenReady = true;
            return;
          }
          logger.info('session event listener reconnected to Redis; re-checking the sessions of open sockets');
          handlers.resync();
        }, (error: unknown) => logger.error({ err: error }, 'could not subscribe to Redis'));
      });
      subscriber.on('close', () => {
        if (hasBeenReady && !isClosing) logger.warn('session event listener lost its Redis connection; reconnecting');
      });
      subscriber.on('error', (error: Error) => logger.error({ err: error }, 'session event listener could not connect to Redis; retrying'));
      resyncTimer = setInterval(() => handlers.resync(), resyncSeconds * 1000);
      resyncTimer.unref();
      // The server starts either way: without Redis it keeps trying, and re-checks once it is back.
      await Promise.all([subscriber.connect(), publisher.connect()]).catch(() => {});
    },

    // Both connections: an instance that can hear but not publish would leave its revocations to the re-check.
    isReceiving: () => subscriber.status === 'ready' && publisher.status === 'ready',

    async close() {
      isClosing = true;
      clearInterval(resyncTimer);
      subscriber.disconnect();
      publisher.disconnect();
    },
  };
}

function channelOf(userId: string): string {
  return `${REDIS_CHANNEL_PREFIX}${userId}`;
}
