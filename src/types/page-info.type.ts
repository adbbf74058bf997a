import { Field, ObjectType } from 'type-graphql';

@ObjectType({ description: 'Where a page of a connection sits in the whole list (Relay cursor connections).', simpleResolvers: true })
export class PageInfo {
  @Field(() => Boolean, { description: 'Whether more items follow this page: pass endCursor as `after` to get them.' })
  hasNextPage!: boolean;

  @Field(() => Boolean, {
    description: 'Whether items precede this page: true when `after` was given and the item it points at, or a newer one, still exists. Always false without `after`.',
  })
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true, description: "The first edge's cursor; null for an empty page." })
  startCursor!: string | null;

  @Field(() => String, { nullable: true, description: "The last edge's cursor; pass it as `after` for the next page. Null for an empty page." })
  endCursor!: string | null;
}

/** A page's info from its edges and whether items follow and precede it. */
export function pageInfoOf(edges: ReadonlyArray<{ cursor: string }>, page: { hasNextPage: boolean; hasPreviousPage: boolean }): PageInfo {
  return { hasNextPage: page.hasNextPage, hasPreviousPage: page.hasPreviousPage, startCursor: edges[0]?.cursor ?? null, endCursor: edges.at(-1)?.cursor ?? null };
}
