// autocannon ships no types: the part of its API the end-to-end load client uses.
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  namespace autocannon {
    interface Request {
      method?: string;
      path?: string;
      headers?: Record<string, string>;
      body?: string | Buffer;
      [key: string]: unknown;
    }
    interface Options {
      url: string;
      connections?: number;
      amount?: number;
      duration?: number;
      pipelining?: number;
      timeout?: number;
      requests?: Array<Request & { setupRequest?: (request: Request, context: Record<string, unknown>) => Request }>;
    }
    interface Result {
      errors: number;
      timeouts: number;
      non2xx: number;
      '2xx': number;
      statusCodeStats: Record<string, { count: number }>;
      latency: { p50: number; p99: number; average: number; max: number };
    }
    interface Instance extends EventEmitter, PromiseLike<Result> {
      stop(): void;
    }
  }

  function autocannon(options: autocannon.Options): autocannon.Instance;
  export = autocannon;
}
