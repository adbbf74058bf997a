// The DPOP settings: device-bound sessions (read in config.ts with the rest).
import { z } from 'zod';

export interface DpopSettings {
  /** `optional`: a session is bound when its sign-in sends a DPoP proof; `required`: a sign-in without one is refused. @default 'optional' */
  policy: 'optional' | 'required';
  /** How far a proof's `iat` may be from the server's clock, either way. @default 60 */
  windowSeconds: number;
}

export const DPOP_SETTINGS = {
  DPOP: z.enum(['optional', 'required']).default('optional'),
  DPOP_PROOF_WINDOW_SECONDS: z.coerce.number().int().min(5).max(600).default(60),
};

type DpopEnv = z.output<z.ZodObject<typeof DPOP_SETTINGS>>;

export function dpopSettingsOf(e: DpopEnv): DpopSettings {
  return { policy: e.DPOP, windowSeconds: e.DPOP_PROOF_WINDOW_SECONDS };
}
