import { Args, Authorized, Ctx, Int, Mutation, Query, Resolver } from 'type-graphql';
import { callerOf, requestOriginOf, type Context } from '../context.js';
import type { RevokeResult } from '../auth/session-service.js';
import { NotFoundError, ReauthenticationRequiredError } from '../errors.js';
import { RenameSessionArgs, RevokeSessionArgs } from '../types/session.args.js';
import { Session, toSession } from '../types/session.type.js';

@Resolver(() => Session)
export class SessionResolver {
  @Authorized()
  @Query(() => [Session], { description: "The caller's active sessions: the current one first, then by lastActiveAt, newest first." })
  async mySessions(@Ctx() context: Context): Promise<Session[]> {
    const caller = callerOf(context);
    const rows = await context.services.sessions.listSessions(caller.user.id, caller.sessionId);
    return rows.map((row) => toSession(row, caller.sessionId));
  }

  @Authorized()
  @Mutation(() => Boolean, {
    description: "Ends one of the caller's own active sessions, the current one included. Another session needs a password check within FRESH_AUTH_SECONDS (REAUTHENTICATION_REQUIRED). Ending the current one clears the refresh cookie of cookie mode.",
  })
  async revokeSession(@Args(() => RevokeSessionArgs) { id }: RevokeSessionArgs, @Ctx() context: Context): Promise<boolean> {
    const caller = callerOf(context);
    const count = countOf(await context.services.sessions.revokeSession(caller, id, requestOriginOf(context)));
    // One answer for "no such id", "someone else's" and "already ended", so ids cannot be probed.
    if (count === 0) throw new NotFoundError('No active session with this id.');
    if (id === caller.sessionId) context.refreshCookie?.clear();
    return true;
  }

  @Authorized()
  @Mutation(() => Session, {
    description: "Names one of the caller's active sessions, this one or another: its deviceName, while deviceLabel keeps what the device is. Recorded (SESSION_RENAMED) and pushed to the user's devices (mySessionsChanged, RENAMED).",
  })
  async renameSession(@Args(() => RenameSessionArgs) { id, name }: RenameSessionArgs, @Ctx() context: Context): Promise<Session> {
    const caller = callerOf(context);
    const renamed = await context.services.sessions.renameSession(caller, id, name.trim(), requestOriginOf(context));
    // As revokeSession: one answer for "no such id", "someone else's" and "ended".
    if (!renamed) throw new NotFoundError('No active session with this id.');
    return toSession(renamed, caller.sessionId);
  }

  @Authorized()
  @Mutation(() => Int, { description: 'Ends every other active session of the caller; returns how many. Needs a recent password check.' })
  async revokeOtherSessions(@Ctx() context: Context): Promise<number> {
    return countOf(await context.services.sessions.revokeOtherSessions(callerOf(context), requestOriginOf(context)));
  }

  @Authorized()
  @Mutation(() => Int, { description: 'Ends every active session of the caller, the current one included, and clears the refresh cookie of cookie mode; returns how many. Needs a recent password check.' })
  async revokeAllSessions(@Ctx() context: Context): Promise<number> {
    const count = countOf(await context.services.sessions.revokeAllSessions(callerOf(context), requestOriginOf(context)));
    context.refreshCookie?.clear();
    return count;
  }
}

/** How many sessions ended; sudo mode's refusal as its error. */
function countOf(result: RevokeResult): number {
  if (!result.ok) throw new ReauthenticationRequiredError();
  return result.count;
}
