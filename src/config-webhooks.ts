// The WEBHOOK_* settings: how session events reach apps' backends (read in config.ts with the rest).
import { z } from 'zod';
import { onOff } from './config-values.js';

export interface WebhookSettings {
  /** Whether this instance delivers the outbox; others (sharing the database) may. @default true */
  delivery: boolean;
  /** How long a receiver has to answer one delivery. @default 10 */
  timeoutSeconds: number;
  /** How long a delivery is retried before it is marked FAILED. @default 24 */
  retryHours: number;
  /** The longest wait between two attempts of one delivery. @default 3600 */
  maxBackoffSeconds: number;
  /** Deliver to private, link-local and (in production) loopback addresses too. @default false */
  allowPrivateNetworks: boolean;
  /** FAILED deliveries are deleted at this age. @default 30 */
  failedRetentionDays: number;
}

export const WEBHOOK_SETTINGS = {
  WEBHOOK_DELIVERY: onOff.default('on'),
  WEBHOOK_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(60).default(10),
  WEBHOOK_RETRY_HOURS: z.coerce.number().int().min(1).max(24 * 30).default(24),
  WEBHOOK_MAX_BACKOFF_SECONDS: z.coerce.number().int().min(1).max(24 * 3600).default(3600),
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: onOff.default('off'),
  WEBHOOK_FAILED_RETENTION_DAYS: z.coerce.number().int().min(1).default(30),
};

type WebhookEnv = { [K in keyof typeof WEBHOOK_SETTINGS]: z.output<(typeof WEBHOOK_SETTINGS)[K]> };

export function webhookSettingsOf(e: WebhookEnv): WebhookSettings {
  return {
    delivery: e.WEBHOOK_DELIVERY === 'on',
    timeoutSeconds: e.WEBHOOK_TIMEOUT_SECONDS,
    retryHours: e.WEBHOOK_RETRY_HOURS,
    maxBackoffSeconds: e.WEBHOOK_MAX_BACKOFF_SECONDS,
    allowPrivateNetworks: e.WEBHOOK_ALLOW_PRIVATE_NETWORKS === 'on',
    failedRetentionDays: e.WEBHOOK_FAILED_RETENTION_DAYS,
  };
}
