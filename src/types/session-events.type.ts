import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { revocationReasonEnum, type RevocationReason as RevocationReasonValue } from '../db/schema.js';
import { enumOf } from './enum-of.js';
import { Session } from './session.type.js';

export const RevocationReason = enumOf(revocationReasonEnum.enumValues);
registerEnumType(RevocationReason, {
  name: 'RevocationReason',
  description: 'Why a session ended.',
  valuesConfig: {
    LOGOUT: { description: 'Signed out with logout.' },
    REVOKED: { description: 'Ended with revokeSession, revokeOtherSessions or revokeAllSessions, by itself or from another session.' },
    EXPIRED: { description: 'Reached SESSION_MAX_AGE_SECONDS, or went unused for SESSION_IDLE_TIMEOUT_SECONDS.' },
    REFRESH_TOKEN_REUSE: { description: 'A refresh token of the session was used a second time, which is taken as theft: the whole session is ended.' },
    PASSWORD_CHANGED: { description: 'changePassword ended every other session of the user.' },
    SESSION_LIMIT: { description: 'A sign-in beyond MAX_SESSIONS_PER_USER ended this, the least recently active session.' },
  } satisfies Record<RevocationReasonValue, { description: string }>,
});

@ObjectType({ description: 'The session this connection signed in with has ended: sign the device out.', simpleResolvers: true })
export class SessionRevokedEvent {
  @Field(() => ID, { description: 'The session that ended: the one this connection signed in with.' })
  sessionId!: string;

  @Field(() => RevocationReason, { description: 'Why it ended.' })
  reason!: RevocationReasonValue;

  @Field(() => Date, { description: 'When it ended, on the server\'s clock.' })
  revokedAt!: Date;
}

export const SessionChangeType = { CREATED: 'CREATED', REVOKED: 'REVOKED' } as const;
registerEnumType(SessionChangeType, {
  name: 'SessionChangeType',
  description: 'What happened to one of the user\'s sessions.',
  valuesConfig: {
    CREATED: { description: 'A sign-in: signUp or login created the session.' },
    REVOKED: { description: 'The session ended, for the reason in `reason`.' },
  },
});

@ObjectType({ description: "One of the user's sessions was created or ended: update the device list, or alert of a new sign-in.", simpleResolvers: true })
export class SessionsChangedEvent {
  @Field(() => SessionChangeType, { description: 'Whether the session was created or ended.' })
  type!: keyof typeof SessionChangeType;

  @Field(() => Session, { description: 'The session as it is now; isCurrent is relative to the subscriber.' })
  session!: Session;

  @Field(() => Boolean, {
    description: 'For CREATED: whether the user had never signed in from that device. False for REVOKED, where it means nothing.',
    deprecationReason: 'Use isNewDeviceSignIn, which is null for REVOKED instead of false.',
  })
  isNewDevice!: boolean;

  @Field(() => Boolean, {
    nullable: true,
    description: 'For CREATED: whether the user had never signed in from that device (a "new sign-in" alert). Null for REVOKED.',
  })
  isNewDeviceSignIn!: boolean | null;

  @Field(() => RevocationReason, { nullable: true, description: 'For REVOKED: why the session ended. Null for CREATED.' })
  reason!: RevocationReasonValue | null;
}
