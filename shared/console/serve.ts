import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { ConsoleFiles } from './build';

/** A served file: status, headers, and the body (base64 when gzipped). */
export interface ConsoleResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded: boolean;
}

/**
 * The page runs only its own script and stylesheet and talks only to its own origin: no inline
 * script or style, no frame around it, no form posting anywhere, no base to redirect relative URLs.
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const SECURITY_HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

interface Prepared {
  type: string;
  /** The index is checked on every load (it names the current assets); a hashed asset never changes. */
  cacheControl: string;
  text: string;
  gzip: Buffer;
  etag: string;
}

/** The answer for a path under `/console` (`''` or `index.html` for the page), given the request's Accept-Encoding and If-None-Match. */
export type ConsoleServer = (path: string, headers: Record<string, string | undefined>) => ConsoleResponse;

/** Prepares every file once (type, cache policy, gzip, ETag) and answers requests from memory. */
export function consoleServer(files: ConsoleFiles): ConsoleServer {
  const prepared = new Map<string, Prepared>();
  const add = (name: string, text: string, cacheControl: string) => {
    const ext = name.slice(name.lastIndexOf('.') + 1);
    const etag = `"${createHash('sha256').update(text).digest('base64url').slice(0, 22)}"`;
    prepared.set(name, { type: TYPES[ext] ?? 'application/octet-stream', cacheControl, text, gzip: gzipSync(text, { level: 9 }), etag });
  };
  add('index.html', files.index, 'no-cache');
  for (const [name, text] of Object.entries(files.assets)) add(name, text, 'public, max-age=31536000, immutable');

  return (path, headers) => {
    const file = prepared.get(path === '' ? 'index.html' : path);
    if (!file) {
      return { statusCode: 404, headers: { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8' }, body: 'Not Found', isBase64Encoded: false };
    }
    const common = { ...SECURITY_HEADERS, 'cache-control': file.cacheControl, etag: file.etag, vary: 'accept-encoding' };
    if (headers['if-none-match'] === file.etag) return { statusCode: 304, headers: common, body: '', isBase64Encoded: false };
    const gzip = /\bgzip\b/i.test(headers['accept-encoding'] ?? '');
    return gzip
      ? {
          statusCode: 200,
          headers: { ...common, 'content-type': file.type, 'content-encoding': 'gzip' },
          body: file.gzip.toString('base64'),
          isBase64Encoded: true,
        }
      : { statusCode: 200, headers: { ...common, 'content-type': file.type }, body: file.text, isBase64Encoded: false };
  };
}
