import { Arg, Authorized, Ctx, Int, Query, Resolver } from 'type-graphql';
import { decodeCursor, encodeCursor } from '../auth/security-events.js';
import { callerOf, type Context } from '../context.js';
import { BadUserInputError } from '../errors.js';
import { SecurityEventConnection } from '../types/security-event.type.js';

const PAGE_MAX = 100;

@Resolver()
export class SecurityEventResolver {
  @Authorized()
  @Query(() => SecurityEventConnection, { description: "The caller's security activity, newest first. `first` is 1 to 100." })
  async mySecurityEvents(
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() context: Context,
  ): Promise<SecurityEventConnection> {
    if (first < 1 || first > PAGE_MAX) throw new BadUserInputError(`first must be 1 to ${PAGE_MAX}.`, ['first']);
    const cursor = after === null || after === undefined ? null : decodeCursor(after);
    if (after && !cursor) throw new BadUserInputError('after is not a cursor this server gave out.', ['after']);
    const page = await context.services.events.page(callerOf(context).user.id, first, cursor);
    const edges = page.events.map((event) => ({ cursor: encodeCursor(event), node: event }));
    const pageInfo = { hasNextPage: page.hasNextPage, hasPreviousPage: page.hasPreviousPage, startCursor: edges[0]?.cursor ?? null, endCursor: edges.at(-1)?.cursor ?? null };
    return { edges, pageInfo };
  }
}
