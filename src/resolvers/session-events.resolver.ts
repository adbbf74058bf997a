import { Ctx, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import { callerOf, type Context } from '../context.js';
import { BadRequestError } from '../errors.js';
import type { LiveConnection, SessionChange } from '../realtime/live-connections.js';
import type { SessionEndedEvent } from '../realtime/session-event-bus.js';
import { SessionRevokedEvent, SessionsChangedEvent } from '../types/session-events.type.js';
import { toSession } from '../types/session.type.js';

@Resolver()
export class SessionEventsResolver {
  @Subscription(() => SessionRevokedEvent, {
    description:
      "Fires once when this connection's own session ends, by any path; the server then closes the socket with 4401 'session ended: <reason>'. " +
      'Over WebSocket only (graphql-transport-ws), authenticated in connection_init. Survives refreshSession: the socket belongs to the session. ' +
      'The socket is closed with 4419 (token expired) at the exp of the access token it was opened with; nothing is sent after that.',
    subscribe: ({ context }: SubscribeResolverData<unknown, Record<string, never>, Context>) => connectionOf(context).openSessionEndedStream(),
  })
  sessionRevoked(@Root() event: SessionEndedEvent): SessionRevokedEvent {
    return event;
  }

  @Subscription(() => SessionsChangedEvent, {
    description:
      "Every session of the caller's account created, ended or renamed, from any instance: a device list that updates itself, and new sign-in alerts. " +
      'Over WebSocket only; never another user\'s sessions. Stops, and the socket closes with 4419, at the exp of its access token.',
    subscribe: ({ context }: SubscribeResolverData<unknown, Record<string, never>, Context>) => connectionOf(context).openChangeStream(),
  })
  mySessionsChanged(@Root() change: SessionChange, @Ctx() context: Context): SessionsChangedEvent {
    const current = callerOf(context).sessionId;
    switch (change.type) {
      case 'CREATED':
        return { type: change.type, session: toSession(change.session, current), isNewDevice: change.isNewDevice, isNewDeviceSignIn: change.isNewDevice, reason: null };
      case 'REVOKED': {
        const session = toSession(change.session, current, { reason: change.reason, at: change.revokedAt });
        return { type: change.type, session, isNewDevice: false, isNewDeviceSignIn: null, reason: change.reason };
      }
      case 'RENAMED':
        return { type: change.type, session: toSession(change.session, current), isNewDevice: false, isNewDeviceSignIn: null, reason: null };
    }
  }
}

/** The checked caller's WebSocket connection: subscriptions exist only there. */
function connectionOf(context: Context): LiveConnection {
  callerOf(context);
  if (!context.connection) throw new BadRequestError('Subscriptions are served over WebSocket only.');
  return context.connection;
}
