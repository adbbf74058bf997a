import { Ctx, Query, Resolver } from 'type-graphql';
import { callerOf, type Context } from '../context.js';
import { ForbiddenError } from '../errors.js';
import { User } from '../types/user.type.js';

@Resolver(() => User)
export class UserResolver {
  @Query(() => User, { nullable: true, description: 'The signed-in user; null without a token.' })
  me(@Ctx() context: Context): User | null {
    const { auth } = context;
    if (auth.status === 'anonymous') return null;
    if (auth.status === 'service') throw new ForbiddenError('A service key is no user: me needs a signed-in user\'s access token.');
    // A token that was presented but failed is an error, not "nobody": the client must learn its session ended.
    return Object.assign(new User(), callerOf(context).user);
  }
}
