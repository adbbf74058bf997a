import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import type { RevocationReason as RevocationReasonValue } from '../db/schema.js';
import { RevocationReason, Session } from './session.type.js';

@ObjectType({ description: 'The session this connection signed in with has ended: sign the device out.', simpleResolvers: true })
export class SessionRevokedEvent {
  @Field(() => ID, { description: 'The session that ended: the one this connection signed in with.' })
  sessionId!: string;

  @Field(() => RevocationReason, { description: 'Why it ended.' })
  reason!: RevocationReasonValue;

  @Field(() => Date, { description: 'When it ended, on the server\'s clock.' })
  revokedAt!: Date;
}

export const SessionChangeType = { CREATED: 'CREATED', REVOKED: 'REVOKED', RENAMED: 'RENAMED' } as const;
registerEnumType(SessionChangeType, {
  name: 'SessionChangeType',
  description: 'What happened to one of the user\'s sessions.',
  valuesConfig: {
    CREATED: { description: 'A sign-in: signUp or login created the session.' },
    REVOKED: { description: 'The session ended, for the reason in `reason`.' },
    RENAMED: { description: 'The session was given a new name (renameSession): `session.deviceName`.' },
  },
});

@ObjectType({ description: "One of the user's sessions was created, ended or renamed: update the device list, or alert of a new sign-in.", simpleResolvers: true })
export class SessionsChangedEvent {
  @Field(() => SessionChangeType, { description: 'Whether the session was created, ended or renamed.' })
  type!: keyof typeof SessionChangeType;

  @Field(() => Session, { description: 'The session as it is now; isCurrent is relative to the subscriber.' })
  session!: Session;

  @Field(() => Boolean, {
    description: 'For CREATED: whether the user had never signed in from that device. False otherwise, where it means nothing.',
    deprecationReason: 'Use isNewDeviceSignIn, which is null for REVOKED instead of false.',
  })
  isNewDevice!: boolean;

  @Field(() => Boolean, {
    nullable: true,
    description: 'For CREATED: whether the user had never signed in from that device (a "new sign-in" alert). Null otherwise.',
  })
  isNewDeviceSignIn!: boolean | null;

  @Field(() => RevocationReason, { nullable: true, description: 'For REVOKED: why the session ended. Null otherwise.' })
  reason!: RevocationReasonValue | null;
}
