import '../local/env';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Page } from 'playwright-core';
import { ENGINE_FILE } from '../local/gateway';
import { RegistrationStatusStore } from '../shared/reregister/status';
import { buildCallback, type SampleChannel } from '../local/callbacks';
import { DEMO_ACCOUNT } from '../local/secrets-file';
import { findChromium, launchChromium } from '../test/support/browser';
import { ROOT, startNpmStart } from '../test/support/npm-start';

/**
 * `npx tsx scripts/console-screenshots.ts`: the README's console screenshots (docs/console/*.png),
 * taken in headless Chromium against a fresh `npm start` fed an hour of a device's callbacks.
 */
const OUT = join(ROOT, 'docs', 'console');
const DEVICE = '990013907835573';
const HOUR = 3600_000;

async function main(): Promise<void> {
  const chromium = findChromium();
  if (!chromium) throw new Error('No Chromium found (apt-get install chromium, or set CHROMIUM_PATH)');
  const dataDir = mkdtempSync(join(tmpdir(), 'console-shots-'));
  const { child, output } = await startNpmStart({ ...process.env, DATA_DIR: dataDir, PORT: '0' });
  try {
    const base = /listening on (http:\/\/\S+)/.exec(output())![1]!;
    const secrets = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as Record<string, { current: Record<string, string> }>;
    const send = async (channel: SampleChannel, body: object, wrong = false) => {
      const { path, headers, payload } = buildCallback(
        channel,
        { url: base, account: DEMO_ACCOUNT, app: '123456', body: JSON.stringify(body), wrong },
        (name) => secrets[name]!.current,
      );
      await fetch(`${base}${path}`, { method: 'POST', headers, body: payload });
    };
    await feed(send);
    await registrations(dataDir);
    const apikey = spawnSync(process.execPath, ['--import', 'tsx', 'local/apikey.ts', 'create', '--scope', DEMO_ACCOUNT, '--label', 'screenshots'], {
      cwd: ROOT,
      env: { ...process.env, DATA_DIR: dataDir },
      encoding: 'utf8',
    });
    const key = apikey.stdout.trim().split('\n').pop()!;
    await shoot(chromium, base, key);
  } finally {
    child.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** An hour of one device: signal strength and battery every 5 minutes, a few location results, one refused callback. */
async function feed(send: (channel: SampleChannel, body: object, wrong?: boolean) => Promise<void>): Promise<void> {
  const start = Date.now() - HOUR;
  for (let i = 0; i <= 12; i++) {
    const createdOn = new Date(start + i * 5 * 60_000).toISOString();
    const signal = Math.round(-78 + 6 * Math.sin(i / 2) + (i % 3));
    await send('diagnostics', {
      transactionID: `tx-${1000 + i}`,
      device: { id: DEVICE, kind: 'imei' },
      attributes: [
        { name: 'RADIO_SIGNAL_STRENGTH', value: String(signal), createdOn },
        { name: 'BATTERY_LEVEL', value: String(100 - i * 2), createdOn },
      ],
    });
  }
  const track = [
    [33.4501, -84.5903],
    [33.4512, -84.5881],
    [33.4527, -84.5862],
    [33.4531, -84.5839],
    [33.4548, -84.5826],
  ];
  for (const [i, [x, y]] of track.entries()) {
    const time = new Date(start + i * 12 * 60_000).toISOString().replace(/[-:T]/g, '').slice(0, 14);
    await send('device-location', { txid: `loc-${2000 + i}`, id: DEVICE, kind: 'imei', location: { x: String(x), y: String(y), radius: '50', time } });
  }
  await send('location', { txid: 'report-7', status: 'Completed' });
  await send('diagnostics', { transactionID: 'tx-9', device: { id: DEVICE, kind: 'imei' }, attributes: [] }, true);
}

/** The job's status records of a run where one service's registration failed (locally no job runs without the ThingSpace double). */
async function registrations(dataDir: string): Promise<void> {
  const { endpoint, tableName } = JSON.parse(readFileSync(join(dataDir, ENGINE_FILE), 'utf8')) as { endpoint: string; tableName: string };
  const db = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
  );
  const store = new RegistrationStatusStore(db, tableName);
  const now = new Date().toISOString();
  const since = new Date(Date.now() - 26 * HOUR).toISOString();
  const url = (channel: string) => `https://abc123.execute-api.us-east-1.amazonaws.com/webhooks/thingspace/${DEMO_ACCOUNT}/${channel}`;
  await store.put({
    account: DEMO_ACCOUNT,
    service: 'Diagnostics',
    endpoint: url('diagnostics'),
    state: 'registered',
    lastCheckedOn: now,
    lastChangedOn: since,
  });
  await store.put({
    account: DEMO_ACCOUNT,
    service: 'DeviceLocation',
    endpoint: url('device-location'),
    state: 'registered',
    lastCheckedOn: now,
    lastChangedOn: since,
  });
  await store.put({
    account: DEMO_ACCOUNT,
    service: 'Location',
    endpoint: url('location'),
    state: 'error',
    lastCheckedOn: now,
    lastChangedOn: now,
    lastError: 'UnauthorizedAccess while registering the callback',
    needsRegistration: true,
  });
  db.destroy();
}

async function shoot(chromium: string, base: string, key: string): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const browser = await launchChromium(chromium);
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    const shot = (name: string) => page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
    await page.goto(`${base}/console#/${DEMO_ACCOUNT}/devices/${DEVICE}`);
    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Open' }).click();
    await page.locator('svg.positions').waitFor();
    // The top of the device (its plots and newest events): the README shows this one.
    await page.setViewportSize({ width: 1200, height: 1000 });
    await page.screenshot({ path: join(OUT, 'device.png') });
    await page.setViewportSize({ width: 1200, height: 800 });
    await page.locator('#view tbody tr.opens', { hasText: 'diagnostics' }).first().click();
    await page.locator('.raw-body pre').waitFor();
    await page.locator('tr.detail').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(OUT, 'raw-body.png') });
    for (const [view, ready] of [
      ['', '#view tbody tr'],
      ['/registrations', '#view tbody tr'],
      ['/rejections', '#view tbody tr'],
    ] as const) {
      await open(page, `${base}/console#/${DEMO_ACCOUNT}${view}`, ready);
      await shot(view ? view.slice(1) : 'devices');
    }
  } finally {
    await browser.close();
  }
}

async function open(page: Page, url: string, ready: string): Promise<void> {
  await page.goto(url);
  await page.locator(ready).first().waitFor();
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
