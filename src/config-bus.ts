// The SESSION_BUS settings: what carries session events between instances (read in config.ts with the rest).
import { z } from 'zod';

export interface BusSettings {
  /** Postgres notifications, or Redis pub/sub for a fleet that outgrows them. @default 'postgres' */
  kind: 'postgres' | 'redis';
  /** The Redis server of SESSION_BUS=redis. */
  redisUrl: string | undefined;
  /** SESSION_BUS=redis: how often the sessions of open sockets are re-checked, for a publish that never reached Redis. @default 30 */
  resyncSeconds: number;
}

export const BUS_SETTINGS = {
  SESSION_BUS: z.enum(['postgres', 'redis']).default('postgres'),
  REDIS_URL: z.string().refine(isRedisUrl, 'must be a redis:// or rediss:// URL').optional(),
  SESSION_BUS_RESYNC_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
};

type BusEnv = z.output<z.ZodObject<typeof BUS_SETTINGS>>;

export function busSettingsOf(e: BusEnv): BusSettings {
  return { kind: e.SESSION_BUS, redisUrl: e.REDIS_URL, resyncSeconds: e.SESSION_BUS_RESYNC_SECONDS };
}

function isRedisUrl(value: string): boolean {
  return URL.canParse(value) && ['redis:', 'rediss:'].includes(new URL(value).protocol);
}
