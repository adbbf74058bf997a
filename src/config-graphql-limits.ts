// The GRAPHQL_MAX_* settings: the limits of the GraphQL surface (read in config.ts with the rest).
import { z } from 'zod';

export interface GraphqlLimits {
  /** Deepest selection nesting. @default 12 */
  maxDepth: number;
  /** Most aliases in one operation. @default 30 */
  maxAliases: number;
  /** Most directives in one operation. @default 50 */
  maxDirectives: number;
  /** Most lexical tokens in one document. @default 2000 */
  maxTokens: number;
  /** Highest computed cost of one operation. @default 5000 */
  maxCost: number;
  /** Most fields, fragment spreads and inline fragments in one document, fragments counted once. @default 200 */
  maxSelections: number;
}

const limit = (fallback: number) => z.coerce.number().int().min(1).max(1_000_000).default(fallback);

export const GRAPHQL_LIMIT_SETTINGS = {
  GRAPHQL_MAX_DEPTH: limit(12),
  GRAPHQL_MAX_ALIASES: limit(30),
  GRAPHQL_MAX_DIRECTIVES: limit(50),
  GRAPHQL_MAX_TOKENS: limit(2000),
  GRAPHQL_MAX_COST: limit(5000),
  GRAPHQL_MAX_SELECTIONS: limit(200),
};

type GraphqlLimitEnv = z.output<z.ZodObject<typeof GRAPHQL_LIMIT_SETTINGS>>;

export function graphqlLimitsOf(e: GraphqlLimitEnv): GraphqlLimits {
  return {
    maxDepth: e.GRAPHQL_MAX_DEPTH,
    maxAliases: e.GRAPHQL_MAX_ALIASES,
    maxDirectives: e.GRAPHQL_MAX_DIRECTIVES,
    maxTokens: e.GRAPHQL_MAX_TOKENS,
    maxCost: e.GRAPHQL_MAX_COST,
    maxSelections: e.GRAPHQL_MAX_SELECTIONS,
  };
}
