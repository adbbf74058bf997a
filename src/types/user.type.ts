import { Field, ID, ObjectType } from 'type-graphql';

@ObjectType({ description: 'An account: one that signed up here, or a user of an app with its own sign-in, given sessions by its backend (issueSession).', simpleResolvers: true })
export class User {
  @Field(() => ID, { description: 'The account\'s id.' })
  id!: string;

  @Field(() => String, { nullable: true, description: 'Trimmed and lower-cased. Always set for an account that signed up here; null for a user whose app gave issueSession no email.' })
  email!: string | null;

  @Field(() => String, { nullable: true, description: 'The app\'s own id for a user it signs in itself, as given to issueSession; null for an account that signed up here.' })
  externalId!: string | null;

  @Field(() => Date, { description: 'When the account was created.' })
  createdAt!: Date;
}
