import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import {
  getOperationAST,
  getVariableValues,
  GraphQLError,
  Kind,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type GraphQLSchema,
  type ParseOptions,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import type { Config, GraphqlLimits } from './config.js';
import { ErrorCode } from './errors.js';

/** How every operation, over HTTP or WebSocket, is parsed and validated before anything of it runs. */
export interface OperationChecks {
  parseOptions: ParseOptions;
  /** Added to GraphQL's own rules; the introspection rule among them. */
  validationRules: ValidationRule[];
  /** When off, `__schema` and `__type` are refused, and errors do not suggest field names ("Did you mean …"). */
  introspection: boolean;
}

export function operationChecks(config: Pick<Config, 'graphqlLimits' | 'introspection'>): OperationChecks {
  const limits: GraphqlLimits = config.graphqlLimits;
  return {
    // graphql-js stops lexing at the limit, so a huge document costs no more than a 2,000-token one.
    parseOptions: { maxTokens: limits.maxTokens },
    validationRules: [
      // First of ours, so that it can stop the walk before any other rule reaches a selection.
      maxSelectionsRule(limits.maxSelections),
      maxDepthRule({ n: limits.maxDepth, ...rejectWith(ErrorCode.QueryTooDeep) }),
      // Every alias counts, `__typename` ones too (graphql-armor lets those through by default).
      maxAliasesRule({ n: limits.maxAliases, allowList: [], ...rejectWith(ErrorCode.TooManyAliases) }),
      maxDirectivesRule({ n: limits.maxDirectives, ...rejectWith(ErrorCode.TooManyDirectives) }),
      costLimitRule({ maxCost: limits.maxCost, ...rejectWith(ErrorCode.QueryTooCostly) }),
      introspectionRule(config.introspection),
    ],
    introspection: config.introspection,
  };
}

/**
 * Refuses `__schema` and `__type` when INTROSPECTION is off, naming the setting: Apollo's own rule
 * (its `introspection: false`) would tell the client to pass an option to a constructor. Always in the
 * list, for HTTP and WebSocket alike; with introspection on it looks at nothing.
 */
export function introspectionRule(isAllowed: boolean): ValidationRule {
  if (isAllowed) return () => ({});
  return (context) => ({
    Field(node) {
      if (node.name.value !== '__schema' && node.name.value !== '__type') return;
      context.reportError(new GraphQLError(
        `Introspection is turned off on this server (setting INTROSPECTION=off), so ${node.name.value} cannot be queried.`,
        { nodes: [node], extensions: { code: ErrorCode.GraphqlValidationFailed } },
      ));
    },
  });
}

const EMPTY_DOCUMENT: DocumentNode = Object.freeze({ kind: Kind.DOCUMENT, definitions: [] });

/**
 * Refuses a document of more than `max` selections before GraphQL's own rules reach any of them:
 * OverlappingFieldsCanBeMerged is quadratic in repeated fields (330 `me { id email }` took a third
 * of a second of blocking CPU). Counted on the document as written, so it costs one linear pass.
 */
function maxSelectionsRule(max: number): ValidationRule {
  return (context) => ({
    Document(document) {
      const count = countSelections(document);
      if (count <= max) return undefined;
      context.reportError(new GraphQLError(`Selections limit of ${max} exceeded, found ${count}.`, { extensions: { code: ErrorCode.TooManySelections } }));
      // All rules share one walk of the document, and the Document node comes first: handing the
      // walk an empty document ends it before any rule, the quadratic one included, sees a field.
      return EMPTY_DOCUMENT;
    },
  });
}

/** Every field, fragment spread and inline fragment as written; a fragment counts once, where it is defined. */
function countSelections(document: DocumentNode): number {
  let count = 0;
  const pending: SelectionSetNode[] = [];
  for (const definition of document.definitions) {
    if ('selectionSet' in definition && definition.selectionSet) pending.push(definition.selectionSet);
  }
  for (let set = pending.pop(); set; set = pending.pop()) {
    count += set.selections.length;
    for (const selection of set.selections) {
      if ('selectionSet' in selection && selection.selectionSet) pending.push(selection.selectionSet);
    }
  }
  return count;
}

/** graphql-armor's rules throw a bare "Syntax Error"; report ours, with a code, and let validation collect them. */
function rejectWith(code: ErrorCode) {
  return {
    propagateOnRejection: false,
    onReject: [
      (context: ValidationContext | null, error: GraphQLError) =>
        context?.reportError(new GraphQLError(error.message.replace(/^Syntax Error: /, ''), { extensions: { code } })),
    ],
  };
}

/** graphql-js's own token-limit error, told apart by its message since it carries no code. */
function isTokenLimitError(message: string): boolean {
  return /^Syntax Error: Document contains more th[ae]t? \d+ tokens/.test(message);
}

const LIMIT_CODES: ReadonlySet<unknown> = new Set([
  ErrorCode.TooManySelections,
  ErrorCode.QueryTooDeep,
  ErrorCode.TooManyAliases,
  ErrorCode.TooManyDirectives,
  ErrorCode.QueryTooCostly,
]);

/**
 * The code of a limit's refusal, for Apollo's errors: it re-codes every validation error
 * GRAPHQL_VALIDATION_FAILED (keeping ours as `originalError`) and every parse error GRAPHQL_PARSE_FAILED.
 */
export function limitCodeOf(error: GraphQLError): ErrorCode | undefined {
  const code = error.originalError instanceof GraphQLError ? error.originalError.extensions.code : undefined;
  if (LIMIT_CODES.has(code)) return code as ErrorCode;
  return isTokenLimitError(error.message) ? ErrorCode.TooManyTokens : undefined;
}

/** Apollo's own pattern for field suggestions, used where Apollo's `hideSchemaDetailsFromClientErrors` does not reach. */
function withoutSuggestions(message: string): string {
  return message.replace(/ ?Did you mean(.+?)\?$/, '');
}

/** An operation as a WebSocket `subscribe` message carries it. */
export interface OperationRequest {
  query: string;
  operationName?: string | null | undefined;
  variables?: Readonly<Record<string, unknown>> | null | undefined;
}

/**
 * Parses and validates an operation, picks it out of its document and reads its variables, the
 * way Apollo does for HTTP and with its codes, for the WebSocket server.
 * @returns the document, or the errors to answer with; never throws for a client's mistake.
 */
export function checkOperation(schema: GraphQLSchema, request: OperationRequest, checks: OperationChecks): DocumentNode | readonly GraphQLError[] {
  let document: DocumentNode;
  try {
    document = parse(request.query, checks.parseOptions);
  } catch (error) {
    if (!(error instanceof GraphQLError)) throw error;
    const code = isTokenLimitError(error.message) ? ErrorCode.TooManyTokens : ErrorCode.GraphqlParseFailed;
    return [new GraphQLError(error.message, { extensions: { code } })];
  }
  const errors = validate(schema, document, [...specifiedRules, ...checks.validationRules]);
  if (errors.length > 0) {
    return errors.map((error) => {
      const message = checks.introspection ? error.message : withoutSuggestions(error.message);
      return new GraphQLError(message, { extensions: { code: ErrorCode.GraphqlValidationFailed, ...error.extensions } });
    });
  }
  return checkOperationInputs(schema, document, request) ?? document;
}

/**
 * graphql-ws would answer an operation it cannot pick out with a bare "Unable to identify
 * operation", and a variable of the wrong type with an error without a code: answer both as
 * graphql-js words them and as Apollo codes them over HTTP.
 */
function checkOperationInputs(schema: GraphQLSchema, document: DocumentNode, { operationName, variables }: OperationRequest): readonly GraphQLError[] | undefined {
  const operation = getOperationAST(document, operationName);
  if (!operation) {
    const message = operationName ? `Unknown operation named "${operationName}".` : 'Must provide operation name if query contains multiple operations.';
    return [new GraphQLError(message, { extensions: { code: ErrorCode.OperationResolutionFailure } })];
  }
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables ?? {});
  if (!coerced.errors) return undefined;
  return coerced.errors.map((error) => new GraphQLError(error.message, { nodes: error.nodes, extensions: { code: ErrorCode.BadUserInput } }));
}
