import { IsUUID } from 'class-validator';
import { ArgsType, Field, ID } from 'type-graphql';

@ArgsType()
export class RevokeSessionArgs {
  @Field(() => ID, { description: 'The session to end: a Session.id from mySessions.' })
  @IsUUID()
  id!: string;
}
