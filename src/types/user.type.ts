import { Field, ID, ObjectType } from 'type-graphql';

@ObjectType({ description: 'An account.', simpleResolvers: true })
export class User {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: 'Trimmed and lower-cased.' })
  email!: string;

  @Field(() => Date)
  createdAt!: Date;
}
