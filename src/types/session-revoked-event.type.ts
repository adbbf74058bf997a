import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { revocationReasonEnum, type RevocationReason as RevocationReasonValue } from '../db/schema.js';
import { enumOf } from './enum-of.js';

export const RevocationReason = enumOf(revocationReasonEnum.enumValues);
registerEnumType(RevocationReason, { name: 'RevocationReason', description: 'Why a session ended.' });

@ObjectType({ description: 'The session this connection signed in with has ended: sign the device out.', simpleResolvers: true })
export class SessionRevokedEvent {
  @Field(() => ID)
  sessionId!: string;

  @Field(() => RevocationReason)
  reason!: RevocationReasonValue;

  @Field(() => Date)
  revokedAt!: Date;
}
