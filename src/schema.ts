import 'reflect-metadata';
import { validate, type ValidationError } from 'class-validator';
import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { DateTimeResolver } from 'graphql-scalars';
import { buildSchema, type AuthChecker, type PubSub, type ValidatorFn } from 'type-graphql';
import type { Context } from './context.js';
import { BadUserInputError, SessionRequiredError } from './errors.js';
import { AuthResolver } from './resolvers/auth.resolver.js';
import { SessionEventsResolver } from './resolvers/session-events.resolver.js';
import { SecurityEventResolver } from './resolvers/security-event.resolver.js';
import { SessionResolver } from './resolvers/session.resolver.js';
import { findMalformedFields } from './text-input.js';
import { UserResolver } from './resolvers/user.resolver.js';

/** Fields marked `@Authorized()` need a checked session; anything else is 401 UNAUTHENTICATED. */
export const authChecker: AuthChecker<Context> = ({ context }) => {
  if (context.auth.status === 'authenticated') return true;
  throw new SessionRequiredError();
};

/**
 * Refuses text Postgres would refuse in any argument (see text-input.ts), then runs
 * class-validator on input objects, and reports every problem in one message. The offending
 * values are left out on purpose: one of them may be a password. type-graphql calls this once per
 * argument, before the resolver runs; each call checks them all, which costs nothing next to a query.
 */
const validateInput: ValidatorFn = async (value, _type, { args }) => {
  const malformed = findMalformedFields(args);
  if (malformed.length > 0) {
    throw new BadUserInputError(`${malformed.join(', ')}: text may not contain a NUL character or an unpaired UTF-16 surrogate.`, malformed);
  }
  if (value === null || typeof value !== 'object') return;
  const errors = await validate(value, { forbidUnknownValues: false });
  if (errors.length === 0) return;
  const problems = flattenErrors(errors);
  throw new BadUserInputError(problems.map((p) => p.message).join('; '), problems.map((p) => p.field));
};

function flattenErrors(errors: ValidationError[], prefix = ''): Array<{ field: string; message: string }> {
  return errors.flatMap((error) => {
    const field = prefix + error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message: `${prefix}${message}` }));
    return [...own, ...flattenErrors(error.children ?? [], `${field}.`)];
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

export function buildAppSchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [AuthResolver, SessionEventsResolver, SecurityEventResolver, SessionResolver, UserResolver],
    authChecker,
    validateFn: validateInput,
    scalarsMap: [{ type: Date, scalar: DateTimeResolver }],
    pubSub: noTopicPubSub,
  });
}

/** The SDL committed as `schema.graphql`, sorted so that it changes only when the schema does. */
export function printAppSchema(schema: GraphQLSchema): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
