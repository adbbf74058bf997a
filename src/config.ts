import { z } from 'zod';
import { isOrigin, isValidTrustProxy, onOff, parseTrustProxy, splitList } from './config-values.js';
import { BUS_SETTINGS, busSettingsOf, type BusSettings } from './config-bus.js';
import { DPOP_SETTINGS, dpopSettingsOf, type DpopSettings } from './config-dpop.js';
import { GRAPHQL_LIMIT_SETTINGS, graphqlLimitsOf, type GraphqlLimits } from './config-graphql-limits.js';
import { WEBHOOK_SETTINGS, webhookSettingsOf, type WebhookSettings } from './config-webhooks.js';

export type { BusSettings, DpopSettings, GraphqlLimits, WebhookSettings };

/** Every setting of the server, read from the environment once at start-up. */
export interface Config {
  /** `development`, `test` or `production`. @default 'development' */
  nodeEnv: 'development' | 'test' | 'production';
  /** HTTP port. @default 4000 */
  port: number;
  /** Interface to listen on. @default '0.0.0.0' */
  host: string;
  /** Postgres connection string; when absent the embedded PGlite is used. */
  databaseUrl: string | undefined;
  /** The Postgres schema holding every table and the migrations journal. @default 'session_server' */
  databaseSchema: string;
  /** How long start-up waits for a Postgres server that is not reachable yet. @default 60 */
  databaseConnectTimeoutSeconds: number;
  /** Where PGlite keeps its files and the generated secret lives. @default './data' */
  dataDir: string;
  /** Secret that signs access tokens, at least 32 bytes; generated into `dataDir` when absent outside production. */
  authSecret: string | undefined;
  /** Lifetime of an access token. @default 900 */
  accessTokenTtlSeconds: number;
  /** Lifetime of a session from login; refreshing does not extend it. @default 2592000 (30 days) */
  sessionMaxAgeSeconds: number;
  /** A session with no request and no refresh for this long is over. @default 604800 (7 days) */
  sessionIdleTimeoutSeconds: number;
  /** How often sessions that are over are marked EXPIRED and their sockets closed. @default 30 */
  expirySweepSeconds: number;
  /** Minimum time between two writes of a session's `lastActiveAt`. @default 60 */
  lastActiveWriteIntervalSeconds: number;
  /** Sudo mode: how long a password check lets a session end other sessions. @default 3600 */
  freshAuthSeconds: number;
  /** Live sessions per user; a login beyond it ends the least recently active. @default 50 */
  maxSessionsPerUser: number;
  /** Failed password checks allowed per email and client address within the window. @default 5 */
  loginMaxFailuresPerEmailIp: number;
  /** Failed password checks allowed per client address within the window. @default 100 */
  loginMaxFailuresPerIp: number;
  /** The throttling window. @default 900 */
  loginFailureWindowSeconds: number;
  /** `signUp` attempts allowed per client address within the sign-up window. @default 20 */
  signUpMaxPerIp: number;
  /** The sign-up throttling window. @default 3600 */
  signUpWindowSeconds: number;
  /** How often the cleanup job runs. @default 3600 */
  cleanupIntervalSeconds: number;
  /** Ended sessions are deleted this long after they ended. @default 30 */
  sessionRetentionDays: number;
  /** Security events are deleted at this age. @default 365 */
  securityEventRetentionDays: number;
  /** Which proxies may set `X-Forwarded-For`: a hop count, or addresses/CIDRs. @default undefined (none) */
  trustProxy: number | string[] | undefined;
  /** Largest accepted HTTP request body. @default 102400 */
  maxBodyBytes: number;
  /** How long a WebSocket may take to send `connection_init`. @default 3000 */
  wsConnectionInitTimeoutMs: number;
  /** Largest accepted WebSocket message; a bigger one closes the socket with 1009. @default 65536 */
  wsMaxMessageBytes: number;
  /** Most operations running at once on one WebSocket. @default 100 */
  wsMaxSubscriptions: number;
  /** `off` disables geolocation. @default 'on' */
  geoip: 'on' | 'off';
  /** An MMDB file to use instead of the bundled DB-IP City Lite (e.g. GeoLite2-City). */
  geoipDatabase: string | undefined;
  /** pino log level. @default 'info' */
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Serve the GraphiQL explorer on `GET /graphql`. @default on unless NODE_ENV is production */
  graphiql: boolean;
  /** Serve the account page ("where you're signed in") on `GET /account`. @default on, in production too */
  accountPage: boolean;
  /** Answer introspection queries and suggest field names in errors. @default the value of `graphiql` */
  introspection: boolean;
  /** Serve Prometheus metrics on `GET /metrics`. @default true */
  metrics: boolean;
  /** When set, `GET /metrics` needs `Authorization: Bearer <token>`. */
  metricsToken: string | undefined;
  /** Browser origins (`https://app.example.com`) allowed to call the API over HTTP and WebSocket. @default [] */
  corsOrigins: string[];
  /** Limits every operation is checked against before it runs. */
  graphqlLimits: GraphqlLimits;
  /** Webhooks and event tokens: how session events reach apps' backends. */
  webhooks: WebhookSettings;
  /** What carries session events between instances. */
  bus: BusSettings;
  /** Device-bound sessions. */
  dpop: DpopSettings;
  /** This server's URL as others reach it (`https://sessions.example.com`): the `iss` of the tokens it signs. @default the address it listens on */
  publicUrl: string | undefined;
  /** The P-256 private key (PEM) that signs Security Event Tokens and Logout Tokens. @default one derived from the auth secret */
  eventSigningKey: string | undefined;
}

/** A mistake in how the server was set up (settings, database, files): reported as one plain line, without a stack. */
export class StartupError extends Error {}

export class ConfigError extends StartupError {
  override name = 'ConfigError';
}

const seconds = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')
    .optional(),
  DATABASE_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case Postgres identifier (letters, digits, _), at most 63 characters').default('session_server'),
  DATABASE_CONNECT_TIMEOUT_SECONDS: seconds(60),
  DATA_DIR: z.string().min(1).default('./data'),
  AUTH_SECRET: z
    .string()
    .refine((s) => Buffer.byteLength(s) >= 32, 'must be at least 32 bytes')
    .optional(),
  ACCESS_TOKEN_TTL_SECONDS: seconds(900),
  SESSION_MAX_AGE_SECONDS: seconds(30 * 24 * 3600),
  SESSION_IDLE_TIMEOUT_SECONDS: seconds(7 * 24 * 3600),
  EXPIRY_SWEEP_SECONDS: seconds(30),
  LAST_ACTIVE_WRITE_INTERVAL_SECONDS: seconds(60),
  FRESH_AUTH_SECONDS: seconds(3600),
  MAX_SESSIONS_PER_USER: z.coerce.number().int().min(1).max(10_000).default(50),
  LOGIN_MAX_FAILURES_PER_EMAIL_IP: z.coerce.number().int().min(1).default(5),
  LOGIN_MAX_FAILURES_PER_IP: z.coerce.number().int().min(1).default(100),
  LOGIN_FAILURE_WINDOW_SECONDS: seconds(900),
  SIGN_UP_MAX_PER_IP: z.coerce.number().int().min(1).default(20),
  SIGN_UP_WINDOW_SECONDS: seconds(3600),
  CLEANUP_INTERVAL_SECONDS: seconds(3600),
  SESSION_RETENTION_DAYS: z.coerce.number().int().min(0).default(30),
  SECURITY_EVENT_RETENTION_DAYS: z.coerce.number().int().min(1).default(365),
  TRUST_PROXY: z
    .string()
    .refine(isValidTrustProxy, 'must be a hop count or a comma-separated list of IP addresses or CIDRs')
    .optional(),
  MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(100 * 1024),
  WS_CONNECTION_INIT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(3_000),
  WS_MAX_MESSAGE_BYTES: z.coerce.number().int().min(1024).max(16 * 1024 * 1024).default(64 * 1024),
  WS_MAX_SUBSCRIPTIONS: z.coerce.number().int().min(1).max(10_000).default(100),
  GEOIP: z.enum(['on', 'off']).default('on'),
  GEOIP_DATABASE: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  GRAPHIQL: onOff.optional(),
  ACCOUNT_PAGE: onOff.default('on'),
  INTROSPECTION: onOff.optional(),
  METRICS: onOff.default('on'),
  METRICS_TOKEN: z
    .string()
    .refine((s) => Buffer.byteLength(s) >= 16, 'must be at least 16 bytes')
    .optional(),
  CORS_ORIGINS: z
    .string()
    .refine((s) => splitList(s).every(isOrigin), 'must be a comma-separated list of origins such as https://app.example.com')
    .optional(),
  ...GRAPHQL_LIMIT_SETTINGS,
  PUBLIC_URL: z.string().refine(isOrigin, 'must be an origin such as https://sessions.example.com').optional(),
  EVENT_SIGNING_KEY: z.string().includes('PRIVATE KEY', { message: 'must be a private key in PEM' }).optional(),
  ...WEBHOOK_SETTINGS,
  ...BUS_SETTINGS,
  ...DPOP_SETTINGS,
});

const SECRET_SETTINGS = new Set(['AUTH_SECRET', 'DATABASE_URL', 'METRICS_TOKEN', 'EVENT_SIGNING_KEY', 'REDIS_URL']);

/** Every environment variable the server reads. */
export const SETTING_NAMES = Object.keys(envSchema.shape);

/**
 * Reads and validates every setting. Throws one `ConfigError` that lists every problem,
 * so a bad deployment is fixed in one go rather than one restart per mistake.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // An empty variable means "not set", as in most shells' `FOO= cmd`.
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0]);
      const value = SECRET_SETTINGS.has(name) ? '(hidden)' : JSON.stringify(env[name]);
      return `${name}=${value}: ${issue.message}`;
    });
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  if (e.NODE_ENV === 'production' && !e.AUTH_SECRET) {
    throw new ConfigError('AUTH_SECRET must be set in production: a random string of at least 32 bytes, the same on every instance.');
  }
  if (e.SESSION_IDLE_TIMEOUT_SECONDS <= e.LAST_ACTIVE_WRITE_INTERVAL_SECONDS) {
    // Activity is written once per interval, so a shorter idle timeout would end sessions in use.
    throw new ConfigError('SESSION_IDLE_TIMEOUT_SECONDS must be longer than LAST_ACTIVE_WRITE_INTERVAL_SECONDS.');
  }
  if (e.SESSION_BUS === 'redis' && !e.REDIS_URL) throw new ConfigError('SESSION_BUS=redis needs REDIS_URL, such as redis://127.0.0.1:6379.');
  const graphiql = e.GRAPHIQL ? e.GRAPHIQL === 'on' : e.NODE_ENV !== 'production';
  return {
    nodeEnv: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    databaseSchema: e.DATABASE_SCHEMA,
    databaseConnectTimeoutSeconds: e.DATABASE_CONNECT_TIMEOUT_SECONDS,
    dataDir: e.DATA_DIR,
    authSecret: e.AUTH_SECRET,
    accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS,
    sessionMaxAgeSeconds: e.SESSION_MAX_AGE_SECONDS,
    sessionIdleTimeoutSeconds: e.SESSION_IDLE_TIMEOUT_SECONDS,
    expirySweepSeconds: e.EXPIRY_SWEEP_SECONDS,
    lastActiveWriteIntervalSeconds: e.LAST_ACTIVE_WRITE_INTERVAL_SECONDS,
    freshAuthSeconds: e.FRESH_AUTH_SECONDS,
    maxSessionsPerUser: e.MAX_SESSIONS_PER_USER,
    loginMaxFailuresPerEmailIp: e.LOGIN_MAX_FAILURES_PER_EMAIL_IP,
    loginMaxFailuresPerIp: e.LOGIN_MAX_FAILURES_PER_IP,
    loginFailureWindowSeconds: e.LOGIN_FAILURE_WINDOW_SECONDS,
    signUpMaxPerIp: e.SIGN_UP_MAX_PER_IP,
    signUpWindowSeconds: e.SIGN_UP_WINDOW_SECONDS,
    cleanupIntervalSeconds: e.CLEANUP_INTERVAL_SECONDS,
    sessionRetentionDays: e.SESSION_RETENTION_DAYS,
    securityEventRetentionDays: e.SECURITY_EVENT_RETENTION_DAYS,
    trustProxy: parseTrustProxy(e.TRUST_PROXY),
    maxBodyBytes: e.MAX_BODY_BYTES,
    wsConnectionInitTimeoutMs: e.WS_CONNECTION_INIT_TIMEOUT_MS,
    wsMaxMessageBytes: e.WS_MAX_MESSAGE_BYTES,
    wsMaxSubscriptions: e.WS_MAX_SUBSCRIPTIONS,
    geoip: e.GEOIP,
    geoipDatabase: e.GEOIP_DATABASE,
    logLevel: e.LOG_LEVEL,
    graphiql,
    accountPage: e.ACCOUNT_PAGE === 'on',
    introspection: e.INTROSPECTION ? e.INTROSPECTION === 'on' : graphiql,
    metrics: e.METRICS === 'on',
    metricsToken: e.METRICS_TOKEN,
    corsOrigins: e.CORS_ORIGINS ? splitList(e.CORS_ORIGINS).map((origin) => new URL(origin).origin) : [],
    graphqlLimits: graphqlLimitsOf(e),
    webhooks: webhookSettingsOf(e),
    bus: busSettingsOf(e),
    dpop: dpopSettingsOf(e),
    publicUrl: e.PUBLIC_URL ? new URL(e.PUBLIC_URL).origin : undefined,
    eventSigningKey: e.EVENT_SIGNING_KEY,
  };
}
