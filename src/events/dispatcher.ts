import type { Database } from '../db/client.js';
import { WEBHOOK_LISTENER_APPLICATION_NAME, type Listener } from '../db/listener.js';
import type { Logger } from '../logger.js';
import type { WebhookAttemptOutcome } from '../metrics.js';
import { createDeliveryQueue, type ClaimedDelivery } from './delivery-queue.js';
import { buildRequest, type Signer } from './formats.js';
import { DELIVERIES_CHANNEL } from './outbox.js';
import type { createSender, SendResult } from './send.js';
import type { EndpointTarget, WebhookEndpoints } from './webhook-endpoints.js';

export interface DispatcherOptions {
  database: Pick<Database, 'db' | 'listen'>;
  endpoints: Pick<WebhookEndpoints, 'targets' | 'disable'>;
  sender: ReturnType<typeof createSender>;
  signer: Signer;
  logger: Logger;
  /** Deliveries in flight to one endpoint at once, from this instance. */
  concurrency: number;
  /** WEBHOOK_TIMEOUT_SECONDS: a claim outlives an attempt by far, so only a dead instance's claims lapse. */
  timeoutSeconds: number;
  /** WEBHOOK_MAX_BACKOFF_SECONDS: the longest wait between two attempts. */
  maxBackoffSeconds: number;
  /** Told of each attempt's outcome, for the metrics. */
  onAttempt?: (outcome: WebhookAttemptOutcome) => void;
}

export interface Dispatcher {
  /** Stops claiming, and waits a little for deliveries in flight; what is left is claimed again elsewhere once its claim lapses. */
  close(): Promise<void>;
}

const CLOSE_WAIT_MS = 2_000;
/** How often endpoints are reloaded and due retries and lapsed claims looked for, besides being woken. */
const POLL_MS = 1_000;

/**
 * Delivers the outbox, on every instance: each enabled endpoint has a pump that claims due
 * deliveries, sends them (up to `concurrency` at once), and records each outcome. Pumps run when
 * a commit wakes them (a NOTIFY per endpoint with new deliveries), when a delivery of theirs
 * finishes, and once a second for retries. One endpoint's slowness holds only its own pump.
 */
export async function startDispatcher(options: DispatcherOptions): Promise<Dispatcher> {
  const { database, endpoints, sender, signer, logger, concurrency } = options;
  const queue = createDeliveryQueue(database.db);
  const leaseSeconds = options.timeoutSeconds * 2 + 5;
  const pumps = new Map<string, Pump>();
  const inFlight = new Set<Promise<void>>();
  let isClosed = false;

  interface Pump {
    target: EndpointTarget;
    inFlight: number;
    isRunning: boolean;
    runAgain: boolean;
    /** Whether it was unreachable or unavailable: its next success makes its waiting retries due at once. */
    isFailing: boolean;
    /** Whether its last claim took all it had room for: more may be due once a slot frees. */
    isBacklogged: boolean;
    /** Records a success, with the others of the same turn of the event loop in one statement. */
    recordDelivered: (delivery: ClaimedDelivery, status: number) => Promise<{ hasNext: boolean }>;
  }

  // Reloads run one after another, so an older snapshot of the endpoints never lands after a newer one.
  let reloading = Promise.resolve();
  const reloadEndpoints = (): Promise<void> => {
    reloading = reloading.catch(() => {}).then(loadEndpoints);
    return reloading;
  };

  async function loadEndpoints(): Promise<void> {
    const targets = await endpoints.targets();
    const enabled = new Set(targets.map((target) => target.id));
    for (const id of pumps.keys()) if (!enabled.has(id)) pumps.delete(id);
    for (const target of targets) {
      const pump = pumps.get(target.id);
      if (pump) pump.target = target;
      else {
        const recordDelivered = inBatches((done: Array<{ delivery: ClaimedDelivery; status: number }>) => queue.delivered(done));
        pumps.set(target.id, {
          target, inFlight: 0, isRunning: false, runAgain: false, isFailing: false, isBacklogged: false,
          recordDelivered: (delivery, status) => recordDelivered({ delivery, status }),
        });
      }
    }
  }

  async function run(pump: Pump): Promise<void> {
    if (pump.isRunning) {
      pump.runAgain = true;
      return;
    }
    pump.isRunning = true;
    try {
      do {
        pump.runAgain = false;
        const free = concurrency - pump.inFlight;
        if (free <= 0 || isClosed || pumps.get(pump.target.id) !== pump) break;
        const claimed = await queue.claim(pump.target.id, free, leaseSeconds);
        pump.isBacklogged = claimed.length === free;
        for (const delivery of claimed) start(pump, delivery);
      } while (pump.runAgain);
    } catch (error) {
      logger.error({ err: error, endpointId: pump.target.id }, 'could not claim webhook deliveries; retrying');
    } finally {
      pump.isRunning = false;
    }
  }

  function start(pump: Pump, delivery: ClaimedDelivery): void {
    pump.inFlight += 1;
    const task = deliver(pump, delivery)
      .catch((error: unknown) => {
        logger.error({ err: error, endpointId: pump.target.id, deliveryId: delivery.id }, 'could not record a webhook delivery; it is sent again once its claim lapses');
        return false;
      })
      .then((madeMoreDue) => {
        pump.inFlight -= 1;
        inFlight.delete(task);
        // Anything else becomes due by a commit (which wakes the pump), or by time (the poll).
        if (madeMoreDue || pump.isBacklogged) void run(pump);
      });
    inFlight.add(task);
  }

  /** Sends one delivery and records how it went; says whether that made another delivery of the endpoint due. */
  async function deliver(pump: Pump, delivery: ClaimedDelivery): Promise<boolean> {
    const { target } = pump;
    const request = await buildRequest(delivery.event, target.credentials, signer, new Date());
    const result: SendResult = await sender.send(target.url, request);
    const log = { endpointId: target.id, deliveryId: delivery.id, eventId: delivery.event.id, type: delivery.event.type, attempt: delivery.attempt };
    if (result.ok) {
      const { hasNext } = await pump.recordDelivered(delivery, result.status);
      options.onAttempt?.('delivered');
      if (!pump.isFailing) return hasNext;
      pump.isFailing = false;
      await queue.hurry(target.id);
      return true;
    }
    if (result.status === 410) {
      // 410 Gone: the receiver says it wants nothing more. What is pending waits for `enableWebhookEndpoint`.
      await endpoints.disable(target.id, 'GONE');
      await queue.release(delivery, result);
      pumps.delete(target.id);
      options.onAttempt?.('gone');
      logger.warn({ ...log, status: 410 }, 'webhook endpoint answered 410 Gone: disabled');
      return false;
    }
    if (isOutage(result)) pump.isFailing = true;
    const outcome = await queue.failed(delivery, result, backoffSeconds(delivery.attempt, options.maxBackoffSeconds));
    options.onAttempt?.(outcome);
    logger[outcome === 'failed' ? 'error' : 'warn']({ ...log, status: result.status, error: result.error }, outcome === 'failed' ? 'webhook delivery failed for good' : 'webhook delivery failed; retrying');
    // Given up, it no longer holds back the next event of its session.
    return outcome === 'failed';
  }

  const runAll = () => {
    for (const pump of pumps.values()) void run(pump);
  };
  const reloadAndRun = () => {
    reloadEndpoints().then(runAll, (error: unknown) => logger.error({ err: error }, 'could not load webhook endpoints; retrying'));
  };

  const listener: Listener = await database.listen(DELIVERIES_CHANNEL, {
    notification: (payload) => {
      const pump = pumps.get(payload);
      if (pump) void run(pump);
      else reloadAndRun();
    },
    connectionLost: () => logger.warn('webhook dispatcher lost its database connection; polling until it is back'),
    connectFailed: (error, retryInMs) => logger.error({ err: error, retryInMs }, 'webhook dispatcher could not connect to the database; retrying'),
    reconnected: reloadAndRun,
  }, WEBHOOK_LISTENER_APPLICATION_NAME);
  reloadAndRun();
  const poll = setInterval(reloadAndRun, POLL_MS);
  poll.unref();

  return {
    async close() {
      isClosed = true;
      clearInterval(poll);
      await listener.close();
      await Promise.race([Promise.all(inFlight), new Promise((resolve) => setTimeout(resolve, CLOSE_WAIT_MS).unref())]);
      sender.close();
    },
  };
}

/**
 * Collects what is handed to it in one turn of the event loop and gives it to `flush` together;
 * each caller gets the whole batch's result. Deliveries sent together finish together, and one
 * UPDATE for them all is one commit instead of dozens.
 */
function inBatches<T, R>(flush: (items: T[]) => Promise<R>): (item: T) => Promise<R> {
  let items: T[] = [];
  let flushing: Promise<R> | undefined;
  return (item) => {
    items.push(item);
    flushing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      const batch = items;
      items = [];
      flushing = undefined;
      return flush(batch);
    });
    return flushing;
  };
}

/**
 * The endpoint itself was down (no answer, or a gateway's 502, 503, 504), rather than refusing
 * this one event: only then does its recovery hurry everything waiting, lest one event it always
 * refuses be retried after each of its successes.
 */
function isOutage(result: SendResult & { ok: false }): boolean {
  return result.status === undefined || result.status === 502 || result.status === 503 || result.status === 504;
}

/** 1, 2, 4… seconds up to the maximum, each drawn between half and all of it, so retries of many deliveries spread out. */
export function backoffSeconds(attempt: number, maxSeconds: number): number {
  const ceiling = Math.min(maxSeconds, 2 ** Math.min(attempt - 1, 30));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}
