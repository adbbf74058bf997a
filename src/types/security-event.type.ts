import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { securityEventTypeEnum, type SecurityEventType as SecurityEventTypeValue } from '../db/schema.js';
import { enumOf } from './enum-of.js';
import { PageInfo, pageInfoOf } from './page-info.type.js';
import { encodeCursor, type SecurityEventPage } from '../auth/security-events.js';

export const SecurityEventType = enumOf(securityEventTypeEnum.enumValues);
registerEnumType(SecurityEventType, {
  name: 'SecurityEventType',
  description: 'What happened to the account or one of its sessions.',
  valuesConfig: {
    SIGNED_UP: { description: 'The account was created, with its first session.' },
    LOGGED_IN: { description: 'A sign-in created a session.' },
    LOGIN_FAILED: { description: 'A wrong password was given for this account (login, reauthenticate or changePassword).' },
    LOGIN_THROTTLED: { description: 'Password checks for this account were refused for too many failures (RATE_LIMITED); recorded once per address per window.' },
    LOGGED_OUT: { description: 'A session signed out with logout (reason LOGOUT).' },
    SESSION_REVOKED: { description: 'A session was ended with revokeSession, revokeOtherSessions or revokeAllSessions, by changePassword, or by the app\'s backend with revokeUserSessions (reasons REVOKED, PASSWORD_CHANGED).' },
    SESSION_EXPIRED: { description: 'A session reached its maximum age or idle timeout (reason EXPIRED).' },
    REFRESH_TOKEN_REUSE: { description: 'A refresh token was used twice, and its session was ended as stolen.' },
    PASSWORD_CHANGED: { description: 'The password was changed.' },
    REAUTHENTICATED: { description: 'A session proved the password again (reauthenticate), opening sudo mode.' },
    SESSION_LIMIT_REACHED: { description: 'A sign-in beyond MAX_SESSIONS_PER_USER ended the least recently active session (reason SESSION_LIMIT).' },
    SESSION_RENAMED: { description: 'A session was given a name with renameSession; deviceName is the new one.' },
    BOUND_TOKEN_WITHOUT_PROOF: { description: 'A device-bound (DPoP) session\'s refresh token was presented without a proof from its key, as a copied token would be; it was refused, and the session goes on for the device that holds the key.' },
  } satisfies Record<SecurityEventTypeValue, { description: string }>,
});

@ObjectType({ description: 'One entry of the account\'s security activity.', simpleResolvers: true })
export class SecurityEvent {
  @Field(() => ID, { description: 'The event\'s own id.' })
  id!: string;

  @Field(() => SecurityEventType, { description: 'What happened.' })
  type!: SecurityEventTypeValue;

  @Field(() => ID, { nullable: true, description: 'The session it concerns.' })
  sessionId!: string | null;

  @Field(() => ID, { nullable: true, description: 'The session that did it (which device revoked this one), when another one did.' })
  actorSessionId!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'The service key that did it, by the name it was made with ("support"), when the app\'s backend did: issueSession, revokeUserSessions.',
  })
  actorServiceKey!: string | null;

  @Field(() => String, { nullable: true, description: 'The words the backend gave with it: revokeUserSessions\' reason ("Lost phone, reported to support").' })
  note!: string | null;

  @Field(() => String, { nullable: true, description: 'The name of the device of the session it concerns, as that session had it.' })
  deviceName!: string | null;

  @Field(() => Boolean, { nullable: true, description: 'For SIGNED_UP and LOGGED_IN: whether the user had never signed in from that device. Null for other events.' })
  isNewDevice!: boolean | null;

  @Field(() => String, { nullable: true, description: 'Where the request that caused it came from.' })
  ipAddress!: string | null;

  @Field(() => Date, { description: 'When it happened.' })
  createdAt!: Date;
}

@ObjectType({ description: 'One security event and its place in the list.', simpleResolvers: true })
export class SecurityEventEdge {
  @Field(() => String, { description: 'Opaque: pass as `after` for the events that follow this one.' })
  cursor!: string;

  @Field(() => SecurityEvent, { description: 'The event.' })
  node!: SecurityEvent;
}

@ObjectType({ description: 'A page of the caller\'s security events, newest first (Relay cursor connection).', simpleResolvers: true })
export class SecurityEventConnection {
  @Field(() => [SecurityEventEdge], { description: 'The events of this page, newest first.' })
  edges!: SecurityEventEdge[];

  @Field(() => PageInfo, { description: 'Where this page sits, and the cursor for the next one.' })
  pageInfo!: PageInfo;
}

/** A page of security events as a connection. */
export function toSecurityEventConnection(page: SecurityEventPage): SecurityEventConnection {
  const edges = page.events.map((event) => ({ cursor: encodeCursor(event), node: event }));
  return { edges, pageInfo: pageInfoOf(edges, page) };
}
