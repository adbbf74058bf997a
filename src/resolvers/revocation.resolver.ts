import { Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import { callerOf, type Context } from '../context.js';
import { BadRequestError } from '../errors.js';
import type { RevocationEvent } from '../realtime/revocation-bus.js';
import { SessionRevokedEvent } from '../types/session-revoked-event.type.js';

@Resolver()
export class RevocationResolver {
  @Subscription(() => SessionRevokedEvent, {
    description:
      "Fires once when this connection's own session ends, by any path; the server then closes the socket with 4401. " +
      'Over WebSocket only (graphql-transport-ws), authenticated in connection_init.',
    subscribe: ({ context }: SubscribeResolverData<unknown, Record<string, never>, Context>) => {
      callerOf(context);
      if (!context.connection) throw new BadRequestError('Subscriptions are served over WebSocket only.');
      return context.connection.openRevocationStream();
    },
  })
  sessionRevoked(@Root() event: RevocationEvent): SessionRevokedEvent {
    return event;
  }
}
