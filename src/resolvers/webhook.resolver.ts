import { Args, Authorized, Ctx, Int, Mutation, Query, Resolver } from 'type-graphql';
import { serviceCallerOf, type Context } from '../context.js';
import { BadUserInputError, NotFoundError } from '../errors.js';
import { decodeDeliveryCursor, encodeDeliveryCursor, type EndpointProblem, type WebhookEndpointInfo } from '../events/webhook-endpoints.js';
import { pageInfoOf } from '../types/page-info.type.js';
import { CreateWebhookEndpointArgs, RedeliverWebhookDeliveriesArgs, WebhookDeliveriesArgs, WebhookEndpointArgs } from '../types/webhook.args.js';
import { WebhookDeliveryConnection, WebhookEndpoint, WebhookEndpointWithSecret } from '../types/webhook.type.js';

/** The webhook endpoints' admin API: where session events go, for a service key with webhooks:manage. */
@Resolver()
export class WebhookResolver {
  @Authorized('webhooks:manage')
  @Query(() => [WebhookEndpoint], { description: 'Every webhook endpoint, oldest first. Service key with webhooks:manage.' })
  webhookEndpoints(@Ctx() context: Context): Promise<WebhookEndpoint[]> {
    return context.services.webhooks.list();
  }

  @Authorized('webhooks:manage')
  @Mutation(() => WebhookEndpointWithSecret, {
    description: 'Adds an endpoint: every later session event of its types is delivered to it, at least once, in order per session. At most 50 enabled. Service key with webhooks:manage.',
  })
  async createWebhookEndpoint(@Args(() => CreateWebhookEndpointArgs) { input }: CreateWebhookEndpointArgs, @Ctx() context: Context): Promise<WebhookEndpointWithSecret> {
    const created = await context.services.webhooks.create(input, serviceCallerOf(context).name);
    if (!created.ok) throw refusal(created.problems);
    return { endpoint: created.endpoint, secret: created.secret };
  }

  @Authorized('webhooks:manage')
  @Mutation(() => WebhookEndpoint, { description: 'Stops deliveries to the endpoint; those pending wait until it is enabled again. NOT_FOUND for an unknown id. Service key with webhooks:manage.' })
  async disableWebhookEndpoint(@Args(() => WebhookEndpointArgs) { id }: WebhookEndpointArgs, @Ctx() context: Context): Promise<WebhookEndpoint> {
    return found(await context.services.webhooks.disable(id, serviceCallerOf(context).name));
  }

  @Authorized('webhooks:manage')
  @Mutation(() => WebhookEndpoint, { description: 'Resumes deliveries to a disabled endpoint (by a key, or for answering 410), what waited first. Service key with webhooks:manage.' })
  async enableWebhookEndpoint(@Args(() => WebhookEndpointArgs) { id }: WebhookEndpointArgs, @Ctx() context: Context): Promise<WebhookEndpoint> {
    const enabled = await context.services.webhooks.enable(id);
    if (!enabled.ok) throw refusal(enabled.problems);
    return found(enabled.endpoint);
  }

  @Authorized('webhooks:manage')
  @Mutation(() => WebhookEndpointWithSecret, {
    description: "A new signing secret for a STANDARD_WEBHOOKS endpoint, shown this once. For 24 hours deliveries carry two signatures, the old secret's and the new one's, so the receiver can switch without missing one. Service key with webhooks:manage.",
  })
  async rotateWebhookSecret(@Args(() => WebhookEndpointArgs) { id }: WebhookEndpointArgs, @Ctx() context: Context): Promise<WebhookEndpointWithSecret> {
    const rotated = await context.services.webhooks.rotateSecret(id);
    if (!rotated) throw new NotFoundError('No STANDARD_WEBHOOKS endpoint has this id: the token formats are signed with the server key and have no secret.');
    return rotated;
  }

  @Authorized('webhooks:manage')
  @Query(() => WebhookDeliveryConnection, { description: "An endpoint's deliveries of one status (FAILED by default), newest event first. Service key with webhooks:manage." })
  async webhookDeliveries(@Args(() => WebhookDeliveriesArgs) args: WebhookDeliveriesArgs, @Ctx() context: Context): Promise<WebhookDeliveryConnection> {
    const page = await context.services.webhooks.deliveries(args.endpointId, args.status, args.first, args.after ? decodeDeliveryCursor(args.after) : null);
    const edges = page.items.map((item) => ({ cursor: encodeDeliveryCursor(item.eventSeq), node: item }));
    return { edges, pageInfo: pageInfoOf(edges, page) };
  }

  @Authorized('webhooks:manage')
  @Mutation(() => Int, {
    description: "Sends FAILED deliveries of the endpoint again, now, with a new retry period: those named, or all of them. Returns how many. Order per session holds among what is pending; a redelivered event may arrive after later ones that were delivered. Service key with webhooks:manage.",
  })
  redeliverWebhookDeliveries(@Args(() => RedeliverWebhookDeliveriesArgs) { endpointId, deliveryIds }: RedeliverWebhookDeliveriesArgs, @Ctx() context: Context): Promise<number> {
    return context.services.webhooks.redeliver(endpointId, deliveryIds ?? null);
  }
}

function found(endpoint: WebhookEndpointInfo | null): WebhookEndpointInfo {
  if (!endpoint) throw new NotFoundError('No webhook endpoint has this id.');
  return endpoint;
}

function refusal([first, ...rest]: EndpointProblem[]): BadUserInputError {
  return new BadUserInputError([first!, ...rest]);
}
