import { IsUUID } from 'class-validator';
import { ArgsType, Field, ID } from 'type-graphql';

@ArgsType()
export class RevokeSessionArgs {
  @Field(() => ID)
  @IsUUID()
  id!: string;
}
