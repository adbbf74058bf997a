import type { TestServer } from './server.js';

/** One line of the exposition text: `name{label="value",…} number`. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Scrape {
  status: number;
  headers: Headers;
  text: string;
  samples: Sample[];
  /** The sum of every sample of `name` whose labels include `labels`; 0 when there is none. */
  value(name: string, labels?: Record<string, string>): number;
}

export function metricsUrl(server: Pick<TestServer, 'url'>): string {
  return server.url.replace(/\/graphql$/, '/metrics');
}

/** `GET /metrics`, with `Authorization: Bearer <token>` when a token is given. */
export async function scrape(server: Pick<TestServer, 'url'>, token?: string): Promise<Scrape> {
  const response = await fetch(metricsUrl(server), { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const text = await response.text();
  const samples = response.ok ? parseExposition(text) : [];
  return {
    status: response.status,
    headers: response.headers,
    text,
    samples,
    value: (name, labels = {}) =>
      samples
        .filter((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value))
        .reduce((sum, sample) => sum + sample.value, 0),
  };
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Reads the Prometheus text format well enough for tests: comments skipped, label values unescaped. */
export function parseExposition(text: string): Sample[] {
  return text.split('\n').flatMap((line) => {
    const match = SAMPLE.exec(line);
    if (!match) return [];
    const labels = Object.fromEntries([...(match[2] ?? '').matchAll(LABEL)].map(([, key, value]) => [key!, JSON.parse(`"${value}"`) as string]));
    return [{ name: match[1]!, labels, value: Number(match[3]) }];
  });
}
