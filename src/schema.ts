import 'reflect-metadata';
import { validate, type ValidationError } from 'class-validator';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';
import { buildSchema, type AuthChecker, type PubSub, type ValidatorFn } from 'type-graphql';
import type { Context } from './context.js';
import type { ServiceKeyScope } from './auth/service-keys.js';
import { BadUserInputError, ForbiddenError, type InputProblem, InvalidDpopProofError, SessionRequiredError, UnauthenticatedError } from './errors.js';
import { AuthResolver } from './resolvers/auth.resolver.js';
import { SessionEventsResolver } from './resolvers/session-events.resolver.js';
import { SecurityEventResolver } from './resolvers/security-event.resolver.js';
import { SessionResolver } from './resolvers/session.resolver.js';
import { findMalformedFields } from './text-input.js';
import { UserAdminResolver } from './resolvers/user-admin.resolver.js';
import { UserResolver } from './resolvers/user.resolver.js';
import { WebhookResolver } from './resolvers/webhook.resolver.js';
import { ErrorExtensions } from './types/error.type.js';

/**
 * Fields marked `@Authorized()` act as a signed-in user and need a checked session; those marked
 * with scopes (`@Authorized('sessions:read')`) are a backend's and need a service key holding them
 * all. The wrong kind of credential, or a key without the scope, is 403 FORBIDDEN; none, or a
 * failed one, 401 UNAUTHENTICATED.
 */
export const authChecker: AuthChecker<Context, ServiceKeyScope> = ({ context: { auth } }, scopes) => {
  if (scopes.length > 0) {
    if (auth.status === 'authenticated') throw new ForbiddenError(`A user's token never reaches a backend's field: this one needs a service key with ${scopes.join(', ')}.`);
    if (auth.status !== 'service') throw new UnauthenticatedError(`This field needs a service key (Authorization: Bearer sk_…) with ${scopes.join(', ')}.`);
    const missing = scopes.filter((scope) => !auth.caller.scopes.has(scope));
    if (missing.length > 0) throw new ForbiddenError(`The service key "${auth.caller.name}" lacks ${missing.join(', ')}.`);
    return true;
  }
  if (auth.status === 'authenticated') return true;
  if (auth.status === 'service') throw new ForbiddenError('A service key never acts as a user: this field needs a signed-in user\'s access token.');
  if (auth.status === 'rejected' && auth.dpopError) throw new InvalidDpopProofError(auth.dpopError);
  throw new SessionRequiredError();
};

/**
 * Finds every bad field of a request before its resolver runs, and reports them all in one
 * BAD_USER_INPUT: text Postgres would refuse in any argument (see text-input.ts), then the
 * class-validator rules of the arguments' classes (`*.args.ts`, `*.input.ts`). Paths start at the
 * argument (`input.device.deviceName`). The offending values are left out on purpose: one of them
 * may be a password. type-graphql calls this once per argument class, each call seeing all the
 * raw arguments; every field takes its arguments as one `@Args()` class, or one scalar `@Arg()`.
 */
const validateInput: ValidatorFn = async (value, _type, { args }) => {
  const malformed = findMalformedFields(args);
  const invalid = value !== null && typeof value === 'object' ? problemsOf(await validate(value, { forbidUnknownValues: false })) : [];
  const [first, ...rest] = [
    ...malformed.map((field) => ({ field, message: `${field} may not contain a NUL character or an unpaired UTF-16 surrogate` })),
    // A field already refused for its text says nothing more: its other checks ran on text it cannot have.
    ...invalid.filter((problem) => !malformed.includes(problem.field)),
  ];
  if (first) throw new BadUserInputError([first, ...rest]);
};

/** class-validator's errors as problems, each message beginning with its field's whole path. */
function problemsOf(errors: ValidationError[], prefix = ''): InputProblem[] {
  return errors.flatMap((error) => {
    const field = prefix + error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message: `${prefix}${message}` }));
    return [...own, ...problemsOf(error.children ?? [], `${field}.`)];
  });
}

/**
 * type-graphql insists on a PubSub once there is a subscription, but every subscription here
 * brings its own source (`subscribe`), and revocations travel on the SessionEventBus.
 */
const noTopicPubSub: PubSub = {
  publish: () => {
    throw new Error('Topic-based subscriptions are not used: give @Subscription a `subscribe` function.');
  },
  subscribe: () => {
    throw new Error('Topic-based subscriptions are not used: give @Subscription a `subscribe` function.');
  },
};

export async function buildAppSchema(): Promise<GraphQLSchema> {
  const schema = await buildSchema({
    resolvers: [AuthResolver, SessionEventsResolver, SecurityEventResolver, SessionResolver, UserAdminResolver, UserResolver, WebhookResolver],
    // Reached by no field: it documents what errors carry, and brings the ErrorCode enum with it.
    orphanedTypes: [ErrorExtensions],
    authChecker,
    validateFn: validateInput,
    scalarsMap: [{ type: Date, scalar: DateTimeResolver }],
    pubSub: noTopicPubSub,
  });
  // type-graphql takes no description for the root types it makes; the schema is not yet anyone else's.
  for (const [type, description] of [
    [schema.getQueryType(), "What a client reads: the signed-in user, their sessions and their security activity; and, for an app's backend with a service key, any user's, and the webhook endpoints. Over HTTP or WebSocket."],
    [schema.getMutationType(), "Signing up, in and out, refreshing tokens, and ending sessions; for an app's backend, issuing and ending its users' sessions, and managing webhook endpoints. Over HTTP or WebSocket; cookie mode over HTTP only."],
    [schema.getSubscriptionType(), 'Pushed over WebSocket (graphql-transport-ws) only, to a connection authenticated in connection_init.'],
  ] as const) {
    if (type) type.description = description;
  }
  return schema;
}

/** The SDL committed as `schema.graphql`, sorted so that it changes only when the schema does. */
export function printAppSchema(schema: GraphQLSchema): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
