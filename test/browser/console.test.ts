import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Browser, Page, Request } from 'playwright-core';
import { ENGINE_FILE } from '../../local/gateway';
import { RegistrationStatusStore } from '../../shared/reregister/status';
import { deviceUpdate } from '../../shared/store/devices';
import { DEMO_ACCOUNT, DEMO_APP_ID } from '../../local/secrets-file';
import { findChromium, launchChromium } from '../support/browser';
import { ROOT, startNpmStart } from '../support/npm-start';

// The console in a real headless Chromium against a real `npm start`: callbacks sent by
// `npm run send`, a key made by `npm run apikey`, every request the page makes recorded.
const executable = findChromium();
if (!executable) {
  if (process.env.CONSOLE_BROWSER_REQUIRED === '1')
    throw new Error('CONSOLE_BROWSER_REQUIRED=1 but no Chromium was found (install chromium, or set CHROMIUM_PATH)');
  process.stderr.write('Console browser tests skipped: no Chromium found (apt-get install chromium, or set CHROMIUM_PATH).\n');
}
const suite = executable ? describe : describe.skip;

const DEVICE = '990013907835573';
let dataDir = '';
let gateway: ChildProcess | undefined;
let browser: Browser | undefined;
let base = '';
let key = '';
let otherScopeKey = '';
/** Every request any page made, and everything any page logged. */
const requests: Request[] = [];
const logged: string[] = [];

/** A helper program in its own process, as a user runs it (`npm run send`, `npm run apikey`), on this gateway's data. */
function run(script: string, ...args: string[]): string {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir };
  for (const name of ['PORT', 'SECRETS_FILE', 'DYNAMODB_ENDPOINT', 'TABLE_NAME']) delete env[name];
  const out = spawnSync(process.execPath, ['--import', 'tsx', script, ...args], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
  if (out.status !== 0) throw new Error(`${script} ${args.join(' ')}: ${out.stderr}`);
  return out.stdout;
}
const send = (...args: string[]) => expect(run('local/send.ts', ...args)).toMatch(/-> 2\d\d/);
const lastLine = (text: string) => text.trim().split('\n').pop()!;

/** The running gateway's engine and table. */
function engine(): { db: DynamoDBDocumentClient; tableName: string } {
  const { endpoint, tableName } = JSON.parse(readFileSync(join(dataDir, ENGINE_FILE), 'utf8')) as { endpoint: string; tableName: string };
  const db = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
  );
  return { db, tableName };
}

/** Two status records as the re-registration job writes them (no job runs locally without the ThingSpace double). */
async function recordRegistrations(): Promise<void> {
  const { db, tableName } = engine();
  const store = new RegistrationStatusStore(db, tableName);
  const now = new Date().toISOString();
  const endpointOf = (channel: string) => `https://gateway.example/webhooks/thingspace/${DEMO_ACCOUNT}/${channel}`;
  await store.put({
    account: DEMO_ACCOUNT,
    service: 'Diagnostics',
    endpoint: endpointOf('diagnostics'),
    state: 'registered',
    lastCheckedOn: now,
    lastChangedOn: now,
  });
  await store.put({
    account: DEMO_ACCOUNT,
    service: 'Location',
    endpoint: endpointOf('location'),
    state: 'error',
    lastCheckedOn: now,
    lastError: 'UnauthorizedAccess while registering the callback',
    needsRegistration: true,
  });
  db.destroy();
}

async function newPage(): Promise<Page> {
  const page = await browser!.newPage({ viewport: { width: 1200, height: 800 } });
  page.on('request', (request) => requests.push(request));
  page.on('console', (message) => logged.push(message.text()));
  page.on('pageerror', (error) => logged.push(error.message));
  return page;
}

async function enterKey(page: Page, apiKey: string, scope?: string): Promise<void> {
  if (scope !== undefined) await page.getByLabel('Scope').fill(scope);
  await page.getByLabel('API key').fill(apiKey);
  await page.getByRole('button', { name: 'Open' }).click();
}

suite('the console in a real browser', () => {
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'console-'));
    const started = await startNpmStart({ ...process.env, DATA_DIR: dataDir, PORT: '0' });
    gateway = started.child;
    // The banner names the console's URL.
    base = /Console:\s+(http:\/\/\S+)\/console\n/.exec(started.output())![1]!;
    key = lastLine(run('local/apikey.ts', 'create', '--scope', DEMO_ACCOUNT, '--scope', DEMO_APP_ID, '--label', 'console test'));
    otherScopeKey = lastLine(run('local/apikey.ts', 'create', '--scope', 'another-account', '--label', 'other'));
    for (const channel of ['diagnostics', 'diagnostics', 'location', 'device-location', 'sensoro']) send(channel);
    // A callback signed with a wrong key: refused, and recorded as a rejection.
    expect(run('local/send.ts', 'diagnostics', '--wrong')).toContain('-> 401');
    await recordRegistrations();
    browser = await launchChromium(executable!);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    gateway?.kill('SIGTERM');
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('shows a wrong key as a 401 in words', async () => {
    const page = await newPage();
    await page.goto(`${base}/console`);
    await expect(page.title()).resolves.toBe('IoT callback gateway');
    await enterKey(page, 'not-a-key', DEMO_ACCOUNT);
    await expect(page.getByRole('alert').textContent()).resolves.toContain('The API key was not accepted (401)');
    // A refused key is dropped: the form is back for the right one.
    await expect(page.evaluate<string | null>("sessionStorage.getItem('iot-gateway.apiKey')")).resolves.toBeNull();
    await expect(page.getByLabel('API key').isVisible()).resolves.toBe(true);
    await page.close();
  }, 30_000);

  it('shows a 403 with the permission the key lacks, and a 404 for a device that never called', async () => {
    const page = await newPage();
    await page.goto(`${base}/console`);
    await enterKey(page, otherScopeKey, DEMO_ACCOUNT);
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/\(403\).*device:read:0212312345-00001/);
    await page.getByRole('button', { name: 'Forget key' }).click();
    await page.goto(`${base}/console#/${DEMO_ACCOUNT}/devices/no-such-device`);
    await enterKey(page, key);
    await expect(page.getByRole('alert').textContent()).resolves.toContain('Not found (404)');
    await page.close();
  }, 30_000);

  it('lists the devices of a scope, most recently heard first, and opens one with the keyboard', async () => {
    const page = await newPage();
    await page.goto(`${base}/console`);
    await enterKey(page, key, DEMO_ACCOUNT);
    await page.waitForSelector('#view tbody tr');
    const rows = await page.locator('#view tbody tr').allTextContents();
    // Every device of the scope; the one heard last (the device-location result) first.
    expect(rows).toHaveLength(2);
    expect(rows[0]).toContain(DEVICE);
    expect(rows[1]).toContain(DEMO_ACCOUNT);
    expect(page.url()).toBe(`${base}/console#/${DEMO_ACCOUNT}`);
    // The first row has the focus; j moves down, k back up, Enter opens.
    // Page-side code as strings: the tests' tsconfig has no DOM types.
    const focused = () => page.evaluate<string>("document.activeElement?.textContent ?? ''");
    await expect(focused()).resolves.toContain(DEVICE);
    await page.keyboard.press('j');
    await expect(focused()).resolves.toContain(DEMO_ACCOUNT);
    await page.keyboard.press('k');
    await expect(focused()).resolves.toContain(DEVICE);
    await page.keyboard.press('Enter');
    await page.waitForURL(`**/console#/${DEMO_ACCOUNT}/devices/${DEVICE}`);
    await page.getByRole('heading', { name: new RegExp(DEVICE) }).waitFor();
    // The browser's back button returns to the list.
    await page.goBack();
    await page.waitForURL(`**/console#/${DEMO_ACCOUNT}`);
    await page.getByRole('heading', { name: `Devices of ${DEMO_ACCOUNT}` }).waitFor();
    await page.close();
  }, 30_000);

  it('lists a scope of more than 2,000 devices by device id, and says it shows the first 200', async () => {
    const scope = 'big-scope';
    const bigKey = lastLine(run('local/apikey.ts', 'create', '--scope', scope, '--label', 'big'));
    // The device items as the webhooks write them (2,001 callbacks would take minutes).
    const { db, tableName } = engine();
    const now = Date.now();
    for (let i = 0; i < 2001; i += 100)
      await Promise.all(
        Array.from({ length: Math.min(100, 2001 - i) }, (_, j) =>
          db.send(
            deviceUpdate(tableName, { scopeId: scope, deviceId: `dev-${String(i + j).padStart(4, '0')}`, deviceKind: 'imei' }, now - (i + j) * 1000, undefined),
          ),
        ),
      );
    const page = await newPage();
    await page.goto(`${base}/console`);
    await enterKey(page, bigKey, scope);
    await page.waitForSelector('#view tbody tr');
    await expect(page.locator('#view .hint').first().textContent()).resolves.toMatch(/The first 200 devices, by device id/);
    const rows = await page.locator('#view tbody tr').allTextContents();
    expect(rows).toHaveLength(200);
    expect(rows[0]).toContain('dev-0000');
    expect(rows[199]).toContain('dev-0199');
    await page.close();
  }, 60_000);

  it('opens a deep link once a key is given, and draws the plots: a canvas per numeric attribute and an SVG of positions', async () => {
    const page = await newPage();
    await page.goto(`${base}/console#/${DEMO_ACCOUNT}/devices/${DEVICE}`);
    await expect(page.locator('#view').textContent()).resolves.toContain('Enter an API key');
    await enterKey(page, key);
    await page.getByRole('heading', { name: new RegExp(DEVICE) }).waitFor();
    expect(page.url()).toBe(`${base}/console#/${DEMO_ACCOUNT}/devices/${DEVICE}`);
    const signal = page.locator('figure[data-series="RADIO_SIGNAL_STRENGTH"]');
    await expect(signal.getAttribute('data-points')).resolves.toBe('2');
    await expect(signal.locator('canvas').count()).resolves.toBe(1);
    // uPlot drew on its canvas: some pixels are not blank.
    const inked = await page.evaluate<boolean>(`(() => {
      const canvas = document.querySelector('figure[data-series="RADIO_SIGNAL_STRENGTH"] canvas');
      const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
      return data.some((v, i) => i % 4 === 3 && v > 0);
    })()`);
    expect(inked).toBe(true);
    // The device-location result's position, as a point of the SVG scatter (no map tiles).
    await expect(page.locator('svg.positions circle').count()).resolves.toBe(1);
    // A SENSORO sensor's data fields, plotted by name (the same key holds its scope too).
    await page.goto(`${base}/console#/${DEMO_APP_ID}/devices/0117C9XXXX`);
    await expect(page.locator('figure[data-series="temperature"]').getAttribute('data-points')).resolves.toBe('1');
    await expect(page.locator('figure[data-series="battery"] canvas').count()).resolves.toBe(1);
    await expect(page.locator('svg.positions').count()).resolves.toBe(0);
    await page.close();
  }, 30_000);

  it('shows an event with its normalised payload and its raw body, pretty printed', async () => {
    const page = await newPage();
    await page.goto(`${base}/console#/${DEMO_ACCOUNT}/devices/${DEVICE}`);
    await enterKey(page, key);
    await page.locator('#view tbody tr.opens', { hasText: 'diagnostics' }).first().click();
    const raw = page.locator('.raw-body pre');
    await raw.waitFor();
    const text = (await raw.textContent())!;
    expect(text).toContain('\n  "transactionID"');
    expect(text).toContain('RADIO_SIGNAL_STRENGTH');
    await expect(page.locator('.payload pre').textContent()).resolves.toContain('"attributes"');
    // The copy button puts the raw body, as shown, on the clipboard.
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
    await page.locator('.raw-body button.copy').click();
    await page.locator('.raw-body button.copy', { hasText: 'Copied' }).waitFor({ timeout: 5000 });
    await expect(page.evaluate<string>('navigator.clipboard.readText()')).resolves.toBe(text);
    await page.close();
  }, 30_000);

  it('shows a new callback in live mode within 5 s, without reloading', async () => {
    const page = await newPage();
    await page.goto(`${base}/console#/${DEMO_ACCOUNT}/devices/${DEVICE}`);
    await enterKey(page, key);
    const events = page.locator('#view section', { hasText: 'Events' }).locator('tbody tr.opens');
    await events.first().waitFor();
    const before = await events.count();
    let loads = 0;
    page.on('load', () => loads++);
    await page.getByRole('button', { name: 'Live' }).click();
    await expect(page.getByRole('button', { name: 'Live' }).getAttribute('aria-pressed')).resolves.toBe('true');
    send('diagnostics');
    const sent = Date.now();
    await page.locator('#view tbody tr.new').first().waitFor({ timeout: 5000 });
    expect(Date.now() - sent).toBeLessThan(5000);
    await expect(events.count()).resolves.toBe(before + 1);
    await expect(page.locator('figure[data-series="RADIO_SIGNAL_STRENGTH"]').getAttribute('data-points')).resolves.toBe(String(before));
    // A late callback (sent years ago, received now) is new too: shown in its sent-time place, the table still newest first.
    const late = { device: { id: DEVICE, kind: 'imei' }, attributes: [{ name: 'RADIO_SIGNAL_STRENGTH', value: '-99', createdOn: '2020-01-02T03:04:05.000Z' }] };
    send('diagnostics', '--body', JSON.stringify(late));
    await page.locator('#view tbody tr.new').nth(1).waitFor({ timeout: 5000 });
    await expect(events.count()).resolves.toBe(before + 2);
    await expect(events.last().textContent()).resolves.toContain('2020');
    const ids = await events.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-event-id')!));
    expect(ids).toEqual([...ids].sort().reverse());
    expect(loads).toBe(0);
    await page.close();
  }, 30_000);

  it('shows the registrations and the rejected requests with their reasons', async () => {
    const page = await newPage();
    await page.goto(`${base}/console#/${DEMO_ACCOUNT}/rejections`);
    await enterKey(page, key);
    const rejection = page.locator('#view tbody tr', { hasText: 'Signature does not match' });
    await rejection.waitFor();
    await expect(rejection.textContent()).resolves.toContain('401');
    await page.getByRole('link', { name: 'Registrations' }).click();
    await page.getByRole('heading', { name: `Registrations of ${DEMO_ACCOUNT}` }).waitFor();
    const registrations = await page.locator('#view tbody tr').allTextContents();
    expect(registrations).toHaveLength(2);
    expect(registrations.find((r) => r.includes('Diagnostics'))).toContain('REGISTERED');
    expect(registrations.find((r) => r.includes('Location'))).toMatch(/ERROR.*UnauthorizedAccess while registering the callback/);
    // A scope the job never ran for: the empty state says why and what to do.
    await page.goto(`${base}/console#/${DEMO_APP_ID}/registrations`);
    await expect(page.locator('#view .note').textContent()).resolves.toContain('the re-registration job has not run');
    await page.close();
  }, 30_000);

  it('never puts the key in a URL, a cookie, a log or any request but its Authorization header', async () => {
    const page = await newPage();
    await page.goto(`${base}/console`);
    await enterKey(page, key, DEMO_APP_ID);
    await page.waitForSelector('#view tbody tr');
    await expect(page.evaluate<string | null>("sessionStorage.getItem('iot-gateway.apiKey')")).resolves.toBe(key);
    await expect(page.context().cookies()).resolves.toEqual([]);
    const withKey = requests.filter((r) => r.headers().authorization === `Bearer ${key}`);
    expect(withKey.length).toBeGreaterThan(5);
    for (const request of requests) {
      expect(request.url()).not.toContain(key);
      expect(request.postData() ?? '').not.toContain(key);
      const { authorization: _, ...others } = request.headers();
      expect(JSON.stringify(others)).not.toContain(key);
      // The key goes to the API only, never to the page's own files.
      if (request.headers().authorization) expect(new URL(request.url()).pathname).toMatch(/^\/v1\//);
    }
    expect(logged.join('\n')).not.toContain(key);
    expect(page.url()).not.toContain(key);
    await page.getByRole('button', { name: 'Forget key' }).click();
    await expect(page.evaluate<string | null>("sessionStorage.getItem('iot-gateway.apiKey')")).resolves.toBeNull();
    await page.close();
  }, 30_000);
});
