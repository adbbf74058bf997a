/** The fleet benchmark's results, and the markdown report they are printed as: a column per bus. */
import { availableParallelism, loadavg } from 'node:os';
import { CLOCK_ROUND_TRIPS, SOCKETS_PER_WORKER, type ClockCheck } from './client-workers.js';
import { FEW_DEVICES, MANY_DEVICE_SHARE, MANY_DEVICES, REVOKE_ALL_SHARE } from './fleet-plan.js';
import { DEFAULT_SIZES, describeSizes, isSameSizes, type Sizes } from './fleet-sizes.js';
import type { BackendWaits, Usage } from './fleet-usage.js';
import { machineLine, percentile } from './harness.js';
import type { Bus } from './idle-listeners.js';
import { DELIVERY_TIMEOUT_MS, type Deliveries, type SentRevocation } from './storm.js';
import { IDLE_LISTENER_COUNTS, WARM_UP_WRITE_SECONDS, WRITE_CONCURRENCY, WRITE_SECONDS, type WriteStats } from './writer-load.js';

export interface StormResult {
  rate: number;
  sent: SentRevocation[];
  deliveries: Deliveries;
  usage: Usage;
}

export interface WriterCell {
  condition: string;
  issue: WriteStats;
  revoke: WriteStats;
  /** What the idle listeners received in the cell; null without any. */
  listenerMessages: number | null;
}

export interface BusResult {
  bus: Bus;
  workers: number;
  /** Instances holding a Postgres LISTEN connection for session events: with SESSION_BUS=redis, none should. */
  postgresBusListeners: number;
  /** Issuing the sessions and opening their sockets. */
  setupSeconds: number;
  clocks: ClockCheck;
  main: StormResult;
  /** The storm beside the writers of the last writer cell. */
  second: StormResult;
  writerCells: WriterCell[];
  /** Missed events, wrong closes, failed calls, stray events: any one fails the run. */
  failures: string[];
}

const MAX_FAILURES_SHOWN = 20;

/** `loadAtStart`: the 1-minute load average as the run began, to tell a busy shared machine. */
export function printReport(sizes: Sizes, results: BusResult[], runSeconds: number, loadAtStart: number): void {
  console.log(`${machineLine()}, load average ${loadAtStart.toFixed(2)} at the start, ${loadavg()[0]!.toFixed(2)} at the end`);
  console.log(`sizes: ${describeSizes(sizes)} (BENCH_SCALE_INSTANCES, _SOCKETS, _RATE, _SECONDS); whole run ${runSeconds.toFixed(0)} s\n`);
  const header = ['', ...results.map(({ bus }) => `SESSION_BUS=${bus}`)];
  console.log(`### 1. Fleet storm: ${sizes.instances} instances, one Postgres database\n`);
  printMarkdown(header, [...setupRows(sizes, results), ...stormRows(results.map((r) => r.main), sizes.instances)]);
  console.log(`\n### 1b. A second storm, of single revocations at ${sizes.rate}/s, while instance 1 also takes the writer load of table 2's last rows\n`);
  printMarkdown(header, stormRows(results.map((r) => r.second), sizes.instances));
  console.log(`\n### 2. Writers on one instance: ${WRITE_CONCURRENCY} requests in flight, requests/s (p50 / p99 ms)\n`);
  printMarkdown(header, writerRows(results));
  for (const note of notes(sizes, results)) console.log(`\n${note}`);
  console.log(`\n${method(sizes)}`);
  for (const { bus, failures } of results) {
    if (failures.length === 0) continue;
    console.log(`\n${bus}: FAILURES (${failures.length}):\n${failures.slice(0, MAX_FAILURES_SHOWN).join('\n')}${failures.length > MAX_FAILURES_SHOWN ? `\n… and ${failures.length - MAX_FAILURES_SHOWN} more` : ''}`);
  }
}

/** What a reader must know to read the tables right. */
function notes(sizes: Sizes, results: BusResult[]): string[] {
  const notes: string[] = [];
  if (!isSameSizes(sizes, DEFAULT_SIZES)) notes.push(`NOTE: these sizes, set by BENCH_SCALE_*, differ from the issue's targets, the defaults: ${describeSizes(DEFAULT_SIZES)}.`);
  for (const { bus, main } of results) {
    const { answeredPerSecond, behindSeconds } = pace(main);
    if (behindSeconds > SATURATED_BEHIND_SECONDS) {
      notes.push(
        `SATURATED (${bus}): the fleet answered ${answeredPerSecond.toFixed(0)} revocations a second, not ${main.rate}, and fell ${behindSeconds.toFixed(1)} s behind; ` +
          `with the machine's cores ${machineShare(main.usage).toFixed(0)}% busy, the round trips are mostly queueing for CPU. Latency from the response suffers less, as an answer and its events wait alike.`,
      );
    }
  }
  for (const { bus, postgresBusListeners } of results) {
    if (bus === 'redis' && postgresBusListeners >= sizes.instances) {
      notes.push(`NOTE: with SESSION_BUS=redis every instance still LISTENs on Postgres: this build ignores SESSION_BUS, so the redis column measures the Postgres bus (and idle Redis subscribers that nothing is published to).`);
    }
  }
  return notes;
}

function setupRows(sizes: Sizes, results: BusResult[]): string[][] {
  return [
    ['sockets, in client processes', ...results.map((r) => `${sizes.sockets} in ${r.workers}`)],
    ['instances LISTENing for session events on Postgres', ...results.map((r) => String(r.postgresBusListeners))],
    ['set-up: issue sessions, open and subscribe sockets', ...results.map((r) => `${r.setupSeconds.toFixed(1)} s`)],
    ['clocks of client processes vs bench', ...results.map((r) => `${r.clocks.skewMs.toFixed(2)} ms (± ${r.clocks.uncertaintyMs.toFixed(2)})`)],
  ];
}

function stormRows(storms: StormResult[], instances: number): string[][] {
  const cells = (describe: (storm: StormResult) => string) => storms.map(describe);
  const rows = [
    ['revocations: one session / a whole user', ...cells(({ sent }) => `${sent.filter((s) => s.revocation.kind === 'one').length} / ${sent.filter((s) => s.revocation.kind === 'all').length}`)],
    ['sent after its slot, p50 / p99 / max ms', ...cells(({ sent }) => triple(sent.map((s) => s.lagMs)))],
    ['answered a second (first request to last answer)', ...cells((storm) => `${pace(storm).answeredPerSecond.toFixed(0)}/s`)],
    ['last answer after the last slot', ...cells((storm) => `${pace(storm).behindSeconds.toFixed(1)} s`)],
    ['revoking round trip, p50 / p99 / max ms', ...cells(({ sent }) => triple(sent.flatMap((s) => (s.respondedAt === null ? [] : [s.respondedAt - s.sentAt]))))],
    ['sessions ended (answers) / planned', ...cells(({ deliveries: d }) => `${d.revoked} / ${d.expected}`)],
    ['sockets closed 4401 after their own event', ...cells(({ deliveries: d }) => String(d.closedRight))],
    ['**missed or wrong** (sockets of answered calls)', ...cells(({ deliveries: d }) => `**${d.missed}**`)],
    ['failed calls', ...cells(({ deliveries: d }) => String(d.failedCalls))],
    ['**event latency from the response**, p50 / p99 / max ms', ...cells(({ deliveries: d }) => `**${triple(d.fromResponse)}**`)],
    ['event latency from the request, p50 / p99 / max ms', ...cells(({ deliveries: d }) => triple(d.fromRequest))],
    ['window measured (first request to last close)', ...cells(({ usage }) => `${usage.seconds.toFixed(1)} s`)],
  ];
  for (let i = 0; i < instances; i++) {
    rows.push([`instance ${i + 1}: RSS before → peak MiB; CPU s (% of a core)`, ...cells(({ usage }) => instanceUsage(usage, i))]);
  }
  rows.push(
    ['all postgres processes: CPU s (% of a core)', ...cells(({ usage }) => cpu(usage.postgresCpuSeconds, usage))],
    ["the database's active backends: mean; what they waited on", ...cells(({ usage }) => describeWaits(usage.backends))],
    ['redis-server: CPU s (% of a core)', ...cells(({ usage }) => cpu(usage.redisCpuSeconds, usage))],
    ['client processes: CPU s (% of a core)', ...cells(({ usage }) => cpu(usage.workersCpuSeconds, usage))],
    ['bench (sender, writers): CPU s (% of a core)', ...cells(({ usage }) => cpu(usage.benchCpuSeconds, usage))],
    [`all of these, % of the machine's ${availableParallelism()} cores`, ...cells((storm) => `${machineShare(storm.usage).toFixed(0)}%`)],
  );
  return rows;
}

/** How fast the fleet answered the storm, and how far it fell behind its schedule. */
function pace({ sent, rate }: StormResult): { answeredPerSecond: number; behindSeconds: number } {
  const firstSentAt = Math.min(...sent.map((s) => s.sentAt));
  const lastAnsweredAt = Math.max(...sent.map((s) => s.respondedAt ?? s.sentAt));
  const seconds = (lastAnsweredAt - firstSentAt) / 1000;
  return { answeredPerSecond: sent.length / seconds, behindSeconds: seconds - (sent.length - 1) / rate };
}

/** A fleet that fell behind its schedule by more than this was short of CPU: its latencies are mostly queueing. */
const SATURATED_BEHIND_SECONDS = 1;

function writerRows(results: BusResult[]): string[][] {
  const conditions = results[0]?.writerCells.map((cell) => cell.condition) ?? [];
  return conditions.flatMap((condition, i) => [
    [`issueSession, ${condition}`, ...results.map((r) => writeStats(r.writerCells[i]!.issue))],
    [`revoke one session, ${condition}`, ...results.map((r) => writeStats(r.writerCells[i]!.revoke))],
    ...(results.some((r) => r.writerCells[i]!.listenerMessages !== null)
      ? [[`  messages the idle listeners received`, ...results.map((r) => String(r.writerCells[i]!.listenerMessages ?? '-'))]]
      : []),
  ]);
}

function writeStats({ requestsPerSecond, p50Ms, p99Ms, requests, seconds, isCutShort }: WriteStats): string {
  const cutShort = isCutShort ? ` (ran out of sessions: ${requests} in ${seconds.toFixed(1)} s)` : '';
  return `${requestsPerSecond.toFixed(0)}/s (${p50Ms.toFixed(1)} / ${p99Ms.toFixed(1)})${cutShort}`;
}

function instanceUsage(usage: Usage, i: number): string {
  const instance = usage.instances[i];
  if (!instance) return '-';
  const mib = (kib: number) => (kib / 1024).toFixed(0);
  return `${mib(instance.rssBeforeKiB)} → ${mib(instance.rssPeakKiB)}; ${cpu(instance.cpuSeconds, usage)}`;
}

/** The three commonest wait events, by share of the active backends sampled. */
function describeWaits({ meanActive, shares }: BackendWaits): string {
  const top = shares.slice(0, 3).map(({ event, share }) => `${event} ${(share * 100).toFixed(0)}%`);
  return `${meanActive.toFixed(1)}; ${top.join(', ') || 'none'}`;
}

function cpu(seconds: number, usage: Usage): string {
  return `${seconds.toFixed(1)} (${((seconds / usage.seconds) * 100).toFixed(0)}%)`;
}

function machineShare(usage: Usage): number {
  const total = sum(usage.instances.map((i) => i.cpuSeconds)) + usage.postgresCpuSeconds + usage.redisCpuSeconds + usage.workersCpuSeconds + usage.benchCpuSeconds;
  return (total / usage.seconds / availableParallelism()) * 100;
}

function triple(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const ms = (value: number | undefined) => (value === undefined || Number.isNaN(value) ? '-' : value.toFixed(1));
  return `${ms(percentile(sorted, 50))} / ${ms(percentile(sorted, 99))} / ${ms(sorted.at(-1))}`;
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

function printMarkdown(header: string[], rows: string[][]): void {
  console.log(`| ${header.join(' | ')} |`);
  console.log(`|${header.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`);
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
}

function method(sizes: Sizes): string {
  const percent = (share: number) => `${(share * 100).toFixed(0)}%`;
  return [
    `Method: per bus, a fresh scratch database each for the fleet and for the writers. The fleet's ${sizes.instances} instances share one AUTH_SECRET;`,
    'a service key issues every session (issueSession, all instances at once) and revokes them (revokeUserSessions), so no argon2 hashing is on the path.',
    `Users: ${percent(MANY_DEVICE_SHARE)} of the sockets belong to users with ${MANY_DEVICES.min}-${MANY_DEVICES.max} devices, the rest to users with ${FEW_DEVICES.min}-${FEW_DEVICES.max};`,
    `socket k goes to instance k mod ${sizes.instances}, from client processes forked from the bench (at most ${SOCKETS_PER_WORKER} sockets each, below the open-files limit),`,
    'each a real graphql-ws client subscribed to sessionRevoked; a storm starts once every instance counts them all in its websocket_subscriptions gauge.',
    `The storm sends request i at i/${sizes.rate} s whatever the answers (an open loop, over node:http keep-alive) to instance i mod ${sizes.instances};`,
    `${percent(REVOKE_ALL_SHARE)} of requests end a whole user (every many-device user among them), the rest one session; no session is the target of two requests, so each answer's count is known.`,
    `A socket of an ended session must get its own sessionRevoked (reason REVOKED), then close with 4401, within ${DELIVERY_TIMEOUT_MS / 1000} s of the last answer: otherwise it is missed.`,
    'Latency is taken across processes on one wall clock: performance.timeOrigin + performance.now() in the bench at the revoking response, and in the client process',
    `as the event is parsed; both are the system clock at process start plus a monotonic clock, which the clock row checks (the shortest of ${CLOCK_ROUND_TRIPS} IPC round trips per client process).`,
    'From the request, latency includes the time a saturated fleet kept the request queued. CPU is read from /proc over the window (postgres counts every postgres process',
    'on this shared machine). The second storm sends single revocations at the same rate while the bench, on instance 1, runs the writer load:',
    `${WRITE_CONCURRENCY} requests in flight (closed loop) of issueSession for ${WRITE_SECONDS} s, then of revocations for ${WRITE_SECONDS} s, of sessions issued beforehand (batched, unmeasured).`,
    `The other writer cells run on one instance of its own database, after a ${2 * WARM_UP_WRITE_SECONDS} s warm-up, beside ${IDLE_LISTENER_COUNTS.join(', ')} idle bus listeners: postgres.js connections LISTENing on`,
    "the server's channel (session_revoked), or Redis connections subscribed to the pattern * (sure to take the Redis bus's messages, whatever its channel); each consumes and counts what it gets.",
  ].join(' ');
}
