import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import type { RevocationReason as RevocationReasonValue } from '../db/schema.js';
import { ERROR_CODE_DESCRIPTIONS, ErrorCode, type InputProblem } from '../errors.js';
import { RevocationReason } from './session.type.js';

// Errors travel outside `data`, so no field returns these types: ErrorExtensions is added to the
// schema as an orphaned type, to document in the schema itself what `extensions` of an error hold.

/** The codes, by their own names: type-graphql names an enum's values by its keys, and ErrorCode's keys are PascalCase. */
const ErrorCodeValues = Object.fromEntries(Object.values(ErrorCode).map((code) => [code, code])) as { [Code in ErrorCode]: Code };

registerEnumType(ErrorCodeValues, {
  name: 'ErrorCode',
  description: "An error's `extensions.code`: what went wrong, for a client to act on. Never returned by a field; see ErrorExtensions.",
  valuesConfig: Object.fromEntries(Object.values(ErrorCode).map((code) => [code, { description: ERROR_CODE_DESCRIPTIONS[code] }])),
});

@ObjectType('InputProblem', { description: 'One bad field of a BAD_USER_INPUT error.', simpleResolvers: true })
export class InputProblemObject implements InputProblem {
  @Field(() => String, { description: 'Its path from the argument: `input.email`, `input.device.cpuCores`, `newPassword`.' })
  field!: string;

  @Field(() => String, { description: 'What is wrong with it, beginning with the path. Never the value itself, which may be a password.' })
  message!: string;
}

@ObjectType({
  description: "What an error's `extensions` hold, in a response's `errors` over HTTP or WebSocket. No field returns it: it documents the errors.",
  simpleResolvers: true,
})
export class ErrorExtensions {
  @Field(() => ErrorCodeValues, { description: 'What went wrong. Branch on this, not on the message.' })
  code!: ErrorCode;

  @Field(() => String, { nullable: true, description: 'BAD_USER_INPUT: the first bad field, by its path from the argument (`input.email`).' })
  field!: string | null;

  @Field(() => [String], { nullable: true, description: "BAD_USER_INPUT: every bad field of the request, the first being `field`." })
  fields!: string[] | null;

  @Field(() => [InputProblemObject], { nullable: true, description: 'BAD_USER_INPUT: each bad field and what is wrong with it.' })
  problems!: InputProblemObject[] | null;

  @Field(() => RevocationReason, { nullable: true, description: "UNAUTHENTICATED from refreshSession: how the token's session ended, when it has." })
  reason!: RevocationReasonValue | null;

  @Field(() => Int, { nullable: true, description: 'RATE_LIMITED: seconds until an attempt may be let through again.' })
  retryAfterSeconds!: number | null;
}
