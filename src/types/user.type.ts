import { Field, ID, ObjectType } from 'type-graphql';

@ObjectType({ description: 'An account.', simpleResolvers: true })
export class User {
  @Field(() => ID, { description: 'The account\'s id.' })
  id!: string;

  @Field(() => String, { description: 'Trimmed and lower-cased.' })
  email!: string;

  @Field(() => Date, { description: 'When the account was created.' })
  createdAt!: Date;
}
