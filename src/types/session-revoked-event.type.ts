import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { revocationReasonEnum, type RevocationReason as RevocationReasonValue } from '../db/schema.js';

export const RevocationReason = Object.fromEntries(revocationReasonEnum.enumValues.map((value) => [value, value])) as {
  [K in RevocationReasonValue]: K;
};
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
