import { gunzipSync } from 'node:zlib';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { buildConsole, type ConsoleFiles } from '../../shared/console/build';
import { consoleHandler } from '../../shared/console/handler';
import { CONTENT_SECURITY_POLICY, consoleServer, type ConsoleServer } from '../../shared/console/serve';
import { CONSOLE_ID, FUNCTIONS } from '../../shared/routes';

let files: ConsoleFiles;
let serve: ConsoleServer;

beforeAll(async () => {
  files = await buildConsole();
  serve = consoleServer(files);
}, 60_000);

const assetNamed = (prefix: string) => Object.keys(files.assets).find((name) => name.startsWith(prefix))!;

describe('the console bundle', () => {
  it('is under 150 KB gzipped in all (measured, and printed)', () => {
    const gzipped = ['', ...Object.keys(files.assets)].map((path) => Buffer.from(serve(path, { 'accept-encoding': 'gzip' }).body, 'base64').length);
    const total = gzipped.reduce((a, b) => a + b, 0);
    process.stdout.write(`console bundle: ${(total / 1024).toFixed(1)} KB gzipped (index, script, stylesheet)\n`);
    expect(total).toBeLessThan(150 * 1024);
    // uPlot is inside (the plots), not fetched from anywhere.
    expect(files.assets[assetNamed('main-')]).toContain('uplot');
  });

  it('has an index with no inline script or style, naming its hashed assets by absolute path', () => {
    const scripts = [...files.index.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts).toHaveLength(1);
    expect(scripts[0]![1]).toContain(`src="/console/${assetNamed('main-')}"`);
    expect(scripts[0]![2]!.trim()).toBe('');
    expect(files.index).not.toMatch(/<style\b|\sstyle=|\son[a-z]+=/i);
    expect(files.index).toContain(`href="/console/${assetNamed('style-')}"`);
    expect(files.index).toContain('<title>IoT callback gateway</title>');
    expect(files.index).toMatch(/<label>API key <input[^>]*type="password"/);
    expect(assetNamed('main-')).toMatch(/^main-[0-9a-f]{12}\.js$/);
  });

  it('carries uPlot stylesheet in its own', () => {
    expect(files.assets[assetNamed('style-')]).toContain('.uplot');
  });
});

describe('serving the console', () => {
  it('answers the page with the strict CSP and the security headers, never cached without a check', () => {
    const res = serve('', {});
    expect(res.statusCode).toBe(200);
    expect(res.headers).toMatchObject({
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': CONTENT_SECURITY_POLICY,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-cache',
    });
    expect(CONTENT_SECURITY_POLICY).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    expect(res.body).toBe(files.index);
  });

  it('answers the assets with their types, cached for good (their names change with their content)', () => {
    const js = serve(assetNamed('main-'), {});
    const css = serve(assetNamed('style-'), {});
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(js.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
    expect(js.body).toBe(files.assets[assetNamed('main-')]);
  });

  it('gzips when the client accepts it, and says so', () => {
    const res = serve(assetNamed('main-'), { 'accept-encoding': 'br, gzip, deflate' });
    expect(res).toMatchObject({ statusCode: 200, isBase64Encoded: true, headers: { 'content-encoding': 'gzip', vary: 'accept-encoding' } });
    expect(gunzipSync(Buffer.from(res.body, 'base64')).toString()).toBe(files.assets[assetNamed('main-')]);
    expect(serve(assetNamed('main-'), { 'accept-encoding': 'identity' }).headers['content-encoding']).toBeUndefined();
  });

  it('answers 304 to a matching ETag and 404 to any other path', () => {
    const { etag } = serve('', {}).headers;
    expect(serve('', { 'if-none-match': etag })).toMatchObject({ statusCode: 304, body: '' });
    expect(serve('', { 'if-none-match': '"other"' }).statusCode).toBe(200);
    for (const path of ['main.js', 'style.css', '../package.json', 'index.htm', 'assets/main.js']) {
      expect(serve(path, {})).toMatchObject({ statusCode: 404, headers: { 'content-security-policy': CONTENT_SECURITY_POLICY } });
    }
  });

  it('serves /console and /console/{proxy+} through the Lambda handler', async () => {
    const handler = consoleHandler(async () => serve);
    const event = (proxy?: string) => ({ headers: {}, ...(proxy ? { pathParameters: { proxy } } : {}) }) as unknown as APIGatewayProxyEventV2;
    await expect(handler(event())).resolves.toMatchObject({ statusCode: 200, body: files.index });
    await expect(handler(event(assetNamed('style-')))).resolves.toMatchObject({ statusCode: 200 });
    await expect(handler(event('nope.js'))).resolves.toMatchObject({ statusCode: 404 });
  });

  it('is a function of the route table with public routes and no table or secret access', () => {
    const fn = FUNCTIONS.find((f) => f.id === CONSOLE_ID)!;
    expect(fn).toMatchObject({ authorized: false, table: 'none', secrets: [], entry: 'functions/console/handler.ts' });
    expect(fn.routes).toEqual([
      { method: 'GET', path: '/console' },
      { method: 'GET', path: '/console/{proxy+}' },
    ]);
  });
});
