import { Args, Authorized, Ctx, Int, Mutation, Query, Resolver } from 'type-graphql';
import { decodeCursor } from '../auth/security-events.js';
import { decodeSessionCursor, encodeSessionCursor, type UserRef } from '../auth/user-admin.js';
import { requestOriginOf, serviceCallerOf, type Context } from '../context.js';
import { BadUserInputError } from '../errors.js';
import { pageInfoOf } from '../types/page-info.type.js';
import { SecurityEventConnection, toSecurityEventConnection } from '../types/security-event.type.js';
import { SessionConnection, toSession } from '../types/session.type.js';
import { RevokeUserSessionsArgs, UserSecurityEventsArgs, UserSessionsArgs, type UserNamed } from '../types/user-admin.args.js';

/** The admin API: an app's backend (or its support staff's tools) reading and ending any user's sessions, with a service key. */
@Resolver()
export class UserAdminResolver {
  @Authorized('sessions:read')
  @Query(() => SessionConnection, {
    description:
      "A user's sessions, newest sign-in first, with the fields mySessions has and, with includeEnded, the ended ones and their endedAt and endReason. " +
      'Service key with sessions:read. An unknown user has none.',
  })
  async userSessions(@Args(() => UserSessionsArgs) args: UserSessionsArgs, @Ctx() context: Context): Promise<SessionConnection> {
    const after = args.after ? decodeSessionCursor(args.after) : null;
    const page = await context.services.admin.sessionsPage(userRefOf(args), { includeEnded: args.includeEnded, first: args.first, after });
    const edges = page.sessions.map(({ end, ...session }) => ({ cursor: encodeSessionCursor(session), node: toSession(session, null, end) }));
    return { edges, pageInfo: pageInfoOf(edges, page) };
  }

  @Authorized('sessions:revoke')
  @Mutation(() => Int, {
    description:
      "Ends those of a user's live sessions that match every condition of `where`, in one statement; returns how many (0 when none matches, or the user is unknown). " +
      "Each signed-out device is told at once (sessionRevoked, reason REVOKED), and each end is a SESSION_REVOKED security event naming the key as actorServiceKey. Service key with sessions:revoke.",
  })
  async revokeUserSessions(@Args(() => RevokeUserSessionsArgs) { where, reason }: RevokeUserSessionsArgs, @Ctx() context: Context): Promise<number> {
    const user = userRefOf(where, 'where.');
    const actor = { serviceKey: serviceCallerOf(context).name, note: reason || null, origin: requestOriginOf(context) };
    return context.services.admin.revokeSessions(user, { ...where, countryCode: where.countryCode?.toUpperCase() }, actor);
  }

  @Authorized('sessions:read')
  @Query(() => SecurityEventConnection, { description: "A user's security activity, newest first, as mySecurityEvents shows the user theirs. Service key with sessions:read." })
  async userSecurityEvents(@Args(() => UserSecurityEventsArgs) args: UserSecurityEventsArgs, @Ctx() context: Context): Promise<SecurityEventConnection> {
    const after = args.after ? decodeCursor(args.after) : null;
    return toSecurityEventConnection(await context.services.admin.eventsPage(userRefOf(args), args.first, after));
  }
}

/** The user a field names, by exactly one of its two ids. */
function userRefOf({ userId, externalId }: UserNamed, path = ''): UserRef {
  if (userId && !externalId) return { userId };
  if (externalId && !userId) return { externalId };
  throw new BadUserInputError([{ field: `${path}userId`, message: `Give exactly one of ${path}userId and ${path}externalId` }]);
}
