/** The results of the revocation-push benchmark, and the table they are printed as. */
import { machineLine, percentile, type Driver } from './harness.js';

/** One scenario's delays, in ms, from the mutation's request being sent and from its response, to each event. */
export interface Latency {
  scenario: string;
  fromRequest: number[];
  fromResponse: number[];
  /** Judged on the p99 from the request (push latency) or on the last event of all (fan-out). */
  bar: { on: 'p99' | 'last'; maxMs: number };
  /** What Postgres spent per revocation, as it counts it (push latency on Postgres). */
  database?: { msPerRevocation: number; commitsPerRevocation: number };
}

/** The server's memory before and after opening `sockets` idle authenticated sockets. */
export interface Memory {
  sockets: number;
  before: MemoryReading;
  after: MemoryReading;
}

/** Read just after a forced full garbage collection. */
export interface MemoryReading {
  /** Resident set size, from `/proc`. */
  rssKiB: number;
  /** What the JS heap still uses. */
  heapKiB: number;
}

export interface DriverResult {
  driver: Driver;
  latencies: Latency[];
  memory: Memory;
  /** Wrong, missing or unclosed events: any one fails the run. */
  failures: string[];
}

export function printReport(results: DriverResult[], description: string): void {
  console.log(machineLine());
  console.log(description);
  console.log("ms from the revoke mutation's HTTP response (resp) or its request (req) to the sessionRevoked event; negative = event before response");
  console.log('bars apply to Postgres only; push latency is judged from the request, fan-out on its last event from both\n');
  const header = ['scenario', 'from', 'N', 'p50', 'p99', 'max', 'bar', 'verdict'];
  const rows = results.flatMap(({ driver, latencies }) => latencies.flatMap((latency) => summarise(driver, latency)));
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column < 2 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  console.log(line(header));
  for (const row of rows) console.log(line(row));
  console.log('');
  for (const { scenario, database } of results.flatMap((result) => result.latencies)) {
    if (database) console.log(`${scenario}: database time ${database.msPerRevocation.toFixed(2)} ms and ${database.commitsPerRevocation.toFixed(2)} commits per revocation request (pg_stat_database)`);
  }
  for (const { driver, memory } of results) console.log(describeMemory(driver, memory));
  const failures = results.flatMap((result) => result.failures);
  if (failures.length > 0) console.log(`\nFAILURES (${failures.length}):\n${failures.join('\n')}`);
}

/**
 * Two rows. Push latency is defined from sending the request, so its bar is judged there only
 * (from the response is context); "delivered to all" names no starting point, so fan-out is judged from both.
 */
function summarise(driver: Driver, { scenario, fromRequest, fromResponse, bar }: Latency): string[][] {
  const judged = driver === 'postgres' ? bar : undefined;
  return [row(scenario, 'resp', fromResponse, bar.on === 'last' ? judged : undefined), row(scenario, 'req', fromRequest, judged)];
}

function row(scenario: string, from: string, delays: number[], bar: Latency['bar'] | undefined): string[] {
  const sorted = [...delays].sort((x, y) => x - y);
  const ms = (value: number | undefined) => (value === undefined || Number.isNaN(value) ? '-' : value.toFixed(2));
  const judged = bar?.on === 'p99' ? percentile(sorted, 99) : sorted.at(-1);
  const verdict = !bar || judged === undefined ? '-' : judged <= bar.maxMs ? 'met' : 'NOT met';
  const barText = bar ? `${bar.on} <= ${bar.maxMs}` : '-';
  return [scenario, from, String(sorted.length), ms(percentile(sorted, 50)), ms(percentile(sorted, 99)), ms(sorted.at(-1)), barText, verdict];
}

/** The readings are shown with the result: RSS still moves by a few MiB with what V8 and the allocator give back. */
function describeMemory(driver: Driver, { sockets, before, after }: Memory): string {
  const perSocket = (key: keyof MemoryReading) => ((after[key] - before[key]) / sockets).toFixed(1);
  const mib = (kib: number) => (kib / 1024).toFixed(1);
  return (
    `${driver}: memory per idle authenticated connection: ${perSocket('rssKiB')} KiB RSS, ${perSocket('heapKiB')} KiB JS heap ` +
    `(RSS ${mib(before.rssKiB)} -> ${mib(after.rssKiB)} MiB, heap ${mib(before.heapKiB)} -> ${mib(after.heapKiB)} MiB, over ${sockets} sockets, each read after a forced GC)`
  );
}
