import { Args, Authorized, Ctx, Query, Resolver } from 'type-graphql';
import { decodeCursor } from '../auth/security-events.js';
import { callerOf, type Context } from '../context.js';
import { SecurityEventsArgs } from '../types/security-event.args.js';
import { SecurityEventConnection, toSecurityEventConnection } from '../types/security-event.type.js';

@Resolver()
export class SecurityEventResolver {
  @Authorized()
  @Query(() => SecurityEventConnection, { description: "The caller's security activity, newest first. `first` is 1 to 100." })
  async mySecurityEvents(@Args(() => SecurityEventsArgs) { first, after }: SecurityEventsArgs, @Ctx() context: Context): Promise<SecurityEventConnection> {
    // `@IsSecurityEventCursor` has refused a cursor that does not decode, but for an empty one.
    const cursor = after ? decodeCursor(after) : null;
    return toSecurityEventConnection(await context.services.events.page(callerOf(context).user.id, first, cursor));
  }
}
