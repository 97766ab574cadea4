import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildCallback, CHANNELS as SAMPLE_CHANNELS, SAMPLES } from '../../local/callbacks';
import { DEMO_ACCOUNT, DEMO_APP_ID, ensureSecretsFile } from '../../local/secrets-file';
import type { ChannelDefinition } from '../../shared/channels/definition';
import { CHANNEL_CODES, CHANNEL_NAMES, CHANNELS, channelOfCode, routePathOf, type Channel } from '../../shared/channels';
import { EVENT_DETAIL_TYPES } from '../../shared/events/contract';
import schema from '../../shared/events/detail.schema.json';
import { factsOf, READERS } from '../../shared/query/derive';
import { FUNCTIONS } from '../../shared/routes';
import { startTestGateway, type TestGateway } from '../support/gateway';

// The channel registry (shared/channels.ts, README "Add a channel"): every channel has every part,
// nothing channel-specific is keyed twice, everything keyed by channel covers exactly the
// registry's channels, and each channel's own sample, signed with the secret its own generator
// made, is verified, mapped and stored by its real handler over the local server.

const ROOT = join(__dirname, '..', '..');
const entries = CHANNEL_NAMES.map((channel) => [channel, CHANNELS[channel]] as const);
const sorted = (values: Iterable<string>) => [...values].sort();

const FUNCTION_PARTS = ['secretName', 'sample', 'localSecret'] as const;
const STRING_PARTS = ['provider', 'functionId', 'route', 'scopeParam', 'code', 'detailType'] as const;
// A compile-time check that the two lists name every part of a definition, no more.
type Listed = (typeof FUNCTION_PARTS)[number] | (typeof STRING_PARTS)[number];
const everyPartListed: [Exclude<keyof ChannelDefinition, Listed>, Exclude<Listed, keyof ChannelDefinition>] extends [never, never] ? true : false = true;

describe('the channel registry', () => {
  it('lists six channels, each with every part', () => {
    expect(everyPartListed).toBe(true);
    expect(CHANNEL_NAMES).toEqual(['diagnostics', 'location', 'device-location', 'connectivity', 'soap', 'sensoro']);
    for (const [channel, definition] of entries) {
      for (const part of STRING_PARTS)
        expect({ channel, part, value: typeof definition[part] === 'string' && definition[part].length > 0 }).toEqual({ channel, part, value: true });
      for (const part of FUNCTION_PARTS) expect({ channel, part, type: typeof definition[part] }).toEqual({ channel, part, type: 'function' });
      expect(definition.route).toContain(`{${definition.scopeParam}}`);
      expect(definition.code).toMatch(/^[A-Z]$/);
    }
  });

  it("keys nothing twice: routes, functions, codes and detail-types are unique; only SOAP shares a secret (Connectivity's)", () => {
    const unique = (values: string[]) => expect(new Set(values).size).toBe(values.length);
    unique(entries.map(([, d]) => d.route));
    unique(entries.map(([, d]) => d.functionId));
    unique(entries.map(([, d]) => d.code));
    unique(entries.map(([, d]) => d.detailType));
    const bySecret = new Map<string, Channel[]>();
    for (const [channel, d] of entries) bySecret.set(d.secretName('acct'), [...(bySecret.get(d.secretName('acct')) ?? []), channel]);
    expect([...bySecret.values()].filter((channels) => channels.length > 1)).toEqual([['connectivity', 'soap']]);
  });

  it('builds the secret names the stack grants and the job rotates', () => {
    expect(entries.map(([, d]) => d.secretName('0212312345-00001'))).toEqual([
      'thingspace/0212312345-00001/diagnostics',
      'thingspace/0212312345-00001/location',
      'thingspace/0212312345-00001/device-location',
      'thingspace/0212312345-00001/connectivity',
      'thingspace/0212312345-00001/connectivity',
      'sensoro/0212312345-00001',
    ]);
    expect(routePathOf('device-location', 'acct')).toBe('/webhooks/thingspace/acct/device-location');
    expect(routePathOf('sensoro', '123456')).toBe('/webhooks/sensoro/123456');
  });

  it('is what derive, the events contract and its JSON Schema, the stored codes, the routes and local mode cover, exactly', () => {
    expect(sorted(Object.keys(READERS))).toEqual(sorted(CHANNEL_NAMES));
    expect(sorted(Object.keys(EVENT_DETAIL_TYPES))).toEqual(sorted(CHANNEL_NAMES));
    expect(sorted(Object.keys(SAMPLES))).toEqual(sorted(CHANNEL_NAMES));
    expect(SAMPLE_CHANNELS).toEqual(CHANNEL_NAMES);
    for (const [channel, d] of entries) {
      expect(EVENT_DETAIL_TYPES[channel]).toBe(d.detailType);
      expect(channelOfCode(CHANNEL_CODES[channel])).toBe(channel);
    }
    expect(schema.properties.channel.enum).toEqual(CHANNEL_NAMES);
    expect(sorted(schema.properties.provider.enum)).toEqual(sorted(new Set(entries.map(([, d]) => d.provider))));

    const webhooks = FUNCTIONS.filter((f) => f.table === 'write-callbacks');
    expect(webhooks.map((f) => f.id)).toEqual(entries.map(([, d]) => d.functionId));
    for (const fn of webhooks) {
      const [, d] = entries.find(([, def]) => def.functionId === fn.id)!;
      expect(fn).toMatchObject({ provider: d.provider, secrets: [d.secretName('*')], routes: [{ method: 'POST', path: d.route }], authorized: false });
      expect(existsSync(join(ROOT, fn.entry))).toBe(true);
    }
  });
});

describe("each channel's sample, signed with the secret its own generator made", () => {
  let dir: string;
  let t: TestGateway;
  let secrets: Record<string, { current: Record<string, string> }>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'registry-'));
    await ensureSecretsFile(join(dir, 'secrets.json'));
    secrets = JSON.parse(readFileSync(join(dir, 'secrets.json'), 'utf8'));
    t = await startTestGateway(secrets);
  }, 60_000);
  afterAll(async () => {
    await t?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the local secrets file holds one secret per secret name of the registry, and the API credentials', () => {
    const names = new Set(entries.map(([, d]) => d.secretName(d.scopeParam === 'appId' ? DEMO_APP_ID : DEMO_ACCOUNT)));
    expect(sorted(Object.keys(secrets))).toEqual(sorted([...names, `thingspace/${DEMO_ACCOUNT}/api`]));
  });

  it.each(CHANNEL_NAMES)('%s: verified, mapped and stored by its handler, read back by its own reader', async (channel) => {
    const { path, headers, payload } = buildCallback(
      channel,
      { url: t.gateway.url, account: DEMO_ACCOUNT, app: DEMO_APP_ID },
      (name) => secrets[name]!.current,
    );
    const res = await fetch(`${t.gateway.url}${path}`, { method: 'POST', headers, body: payload });
    expect({ status: res.status, body: await res.text() }).toMatchObject({ status: 200 });

    const scope = CHANNELS[channel].scopeParam === 'appId' ? DEMO_APP_ID : DEMO_ACCOUNT;
    const facts = factsOf(channel, Buffer.from(payload), scope);
    expect(facts.devices.length).toBeGreaterThan(0);
    const events = await t.events(scope, facts.devices[0]!.id);
    expect(events.filter((e) => e.channel === channel && e.provider === CHANNELS[channel].provider)).not.toHaveLength(0);
  });

  it('a wrong signature or password on the same sample is refused (the check can fail)', async () => {
    for (const channel of CHANNEL_NAMES) {
      const { path, headers, payload } = buildCallback(
        channel,
        { url: t.gateway.url, account: DEMO_ACCOUNT, app: DEMO_APP_ID, wrong: true },
        (name) => secrets[name]!.current,
      );
      const res = await fetch(`${t.gateway.url}${path}`, { method: 'POST', headers, body: payload });
      expect({ channel, status: res.status }).toEqual({ channel, status: 401 });
    }
  });
});
