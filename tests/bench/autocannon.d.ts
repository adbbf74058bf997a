// autocannon ships no types: this declares only the part of its API the benchmark uses.
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';
  import type { IncomingHttpHeaders } from 'node:http';

  namespace autocannon {
    interface Options {
      url: string;
      method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
      headers?: IncomingHttpHeaders;
      body?: string;
      connections?: number;
      /** Seconds. */
      duration?: number;
      /** Responses whose body differs are counted in `mismatches`. */
      expectBody?: string;
      /** Requests cycled through; `setupRequest` may change each one before it is sent. */
      requests?: Array<{
        setupRequest?: (request: { headers?: IncomingHttpHeaders; body?: string }) => { headers?: IncomingHttpHeaders; body?: string };
        onResponse?: (status: number, body: string) => void;
      }>;
    }

    /** Percentile summary of one statistic. */
    interface Histogram {
      average: number;
      mean: number;
      stddev: number;
      min: number;
      max: number;
      total: number;
      p50: number;
      p90: number;
      p99: number;
    }

    interface Result {
      /** Requests per one-second sample. */
      requests: Histogram;
      /** Milliseconds, truncated to whole numbers. */
      latency: Histogram;
      /** Seconds. */
      duration: number;
      errors: number;
      timeouts: number;
      mismatches: number;
      non2xx: number;
    }

    interface Instance extends EventEmitter, PromiseLike<Result> {
      /** `responseTime` is in milliseconds, not truncated. */
      on(event: 'response', listener: (client: unknown, statusCode: number, resBytes: number, responseTime: number) => void): this;
      stop(): void;
    }
  }

  function autocannon(options: autocannon.Options): autocannon.Instance;
  export = autocannon;
}
