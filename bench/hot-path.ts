import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { XMLValidator } from 'fast-xml-parser';
import { join } from 'node:path';
import { DEFAULT_SIGNATURE_HEADERS, DEFAULT_TOKEN_HEADER } from '../shared/config';
import { messageIdOf, toRecords } from '../shared/mapping';
import type { Channel } from '../shared/channels';
import { messageHashOf, type ReceivedCallback } from '../shared/model';
import { parseChannelSecret, validVersions } from '../shared/secrets/channel-secret';
import { decryptSensoro, encryptSensoro } from '../shared/sensoro/crypto';
import { mapPush, parsePush, withDecrypted } from '../shared/sensoro/push';
import { verifySensoroSignature } from '../shared/sensoro/signature';
import { mapConnectivity, readConnectivity } from '../shared/thingspace/connectivity';
import { verifyCredentials } from '../shared/thingspace/credentials';
import { diagnosticsChannel } from '../shared/thingspace/diagnostics';
import { deviceLocationChannel, locationChannel } from '../shared/thingspace/location';
import { mapSoap, readSoap } from '../shared/thingspace/soap';
import { verifyHmacCallback } from '../shared/thingspace/verify';
import { sensoroSignature } from '../test/support/sensoro';
import { hexSignature } from '../test/support/sign';
import { soapEnvelope } from '../test/support/soap';
import { fmt, iterationsFor, median, nsPerOp, ratio, ROOT, target, type GroupResult } from './lib';

const GROUP = 'hot-path';
/** The target: the whole per-message work at most five times one HMAC plus one JSON.parse. */
const TARGET_RATIO = 5;
const ROUNDS = 7;
const ROUND_MS = 100;
const WARMUP_MS = 200;
const STAGE_ROUNDS = 5;
const STAGE_ROUND_MS = 30;
const STAGE_WARMUP_MS = 60;

const ACCOUNT = '0212312345-00001';
const APP_ID = '123456';
const SENSORO_URL = `https://gw.example.com/webhooks/sensoro/${APP_ID}`;

type StageName = 'verify' | 'parse' | 'decrypt' | 'map' | 'toRecords';
const STAGES: StageName[] = ['verify', 'parse', 'decrypt', 'map', 'toRecords'];

interface Case {
  name: string;
  /** What one message costs the gateway: verify (+ decrypt) + parse + map + toRecords. */
  work: () => unknown;
  /** The same work cut into its steps, each on the previous step's (precomputed) output. */
  stages: Partial<Record<StageName, () => unknown>>;
  /** Records toRecords makes of the message (an event, and a notification when it has an operation, per device). */
  records: number;
  /** The bare floor on the same bytes: one HMAC-SHA256 and one JSON.parse. */
  floor: () => unknown;
  bytes: number;
  floorNote?: string;
}

const fixture = (name: string) => Buffer.from(readFileSync(join(ROOT, 'test/fixtures', name), 'utf8').trim());
const received = (channel: Channel, scopeId: string, body: Buffer, identity?: Buffer): ReceivedCallback => ({
  provider: channel === 'sensoro' ? 'sensoro' : 'thingspace',
  channel,
  scopeId,
  body,
  receivedOn: new Date(),
  ...(identity !== undefined ? { identity } : {}),
});

/** One HMAC-SHA256 over `hmacBytes` and one JSON.parse of `json`: what no gateway can do without. */
function floorOf(key: string, hmacBytes: Buffer, json: Buffer = hmacBytes): () => unknown {
  return () => {
    createHmac('sha256', key).update(hmacBytes).digest();
    return JSON.parse(json.toString('utf8')) as unknown;
  };
}

const recordsOf = (mapped: { events: unknown[]; notifications: unknown[] }) => mapped.events.length + mapped.notifications.length;

/** Realistic bodies of every channel (test/fixtures and the shapes of test/support), signed with test-side signers. */
function cases(): Case[] {
  const key = randomUUID(); // ThingSpace hands out a UUID-shaped Shared-Key
  const token = randomBytes(24).toString('base64url');
  const check = { signatureHeaders: [...DEFAULT_SIGNATURE_HEADERS], tokenHeader: DEFAULT_TOKEN_HEADER };
  const out: Case[] = [];

  for (const [channel, file, token_] of [
    [diagnosticsChannel, 'diagnostics-observation.json', token],
    [locationChannel, 'location-report-ready.json', undefined],
    [deviceLocationChannel, 'device-location-result.json', undefined],
  ] as const) {
    const body = fixture(file);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-signature': hexSignature(key, body),
      ...(token_ ? { [DEFAULT_TOKEN_HEADER]: token_ } : {}),
    };
    const versions = [{ key, ...(token_ ? { token: token_ } : {}) }];
    const hmacCheck = { ...check, tokenHeader: channel.checksToken ? check.tokenHeader : undefined };
    const parse = channel.parse as (b: Buffer) => unknown;
    const map = channel.map as (m: unknown, account: string) => ReturnType<typeof diagnosticsChannel.map>;
    const message = parse(body);
    const facts = map(message, ACCOUNT);
    out.push({
      name: `thingspace ${channel.channel}`,
      bytes: body.length,
      work: () => {
        verifyHmacCallback(headers, body, versions, hmacCheck);
        return toRecords(received(channel.channel, ACCOUNT, body), map(parse(body), ACCOUNT));
      },
      stages: {
        verify: () => verifyHmacCallback(headers, body, versions, hmacCheck),
        parse: () => parse(body),
        map: () => map(message, ACCOUNT),
        toRecords: () => toRecords(received(channel.channel, ACCOUNT, body), facts),
      },
      records: recordsOf(toRecords(received(channel.channel, ACCOUNT, body), facts)),
      floor: floorOf(key, body),
    });
  }

  const credentials = { username: `gw-${randomBytes(6).toString('base64url')}`, password: randomBytes(24).toString('base64url') };
  const connectivity = Buffer.from(
    JSON.stringify({
      requestId: '595f5c44-c31c-4552-8670-020a1545a84d',
      deviceIds: [
        { id: '89148000000800139708', kind: 'iccid' },
        { id: '5555550100', kind: 'mdn' },
      ],
      carrierService: { state: 'active', servicePlan: 'M2M_4G' },
      ...credentials,
    }),
  );
  const connectivityRead = readConnectivity(connectivity);
  const connectivityFacts = mapConnectivity(connectivityRead.message, ACCOUNT);
  out.push({
    name: 'thingspace connectivity',
    bytes: connectivity.length,
    work: () => {
      const read = readConnectivity(connectivity);
      verifyCredentials(read.credentials, [credentials]);
      return toRecords(received('connectivity', ACCOUNT, read.storedBody, read.identity), mapConnectivity(read.message, ACCOUNT));
    },
    stages: {
      parse: () => readConnectivity(connectivity),
      verify: () => verifyCredentials(connectivityRead.credentials, [credentials]),
      map: () => mapConnectivity(connectivityRead.message, ACCOUNT),
      toRecords: () => toRecords(received('connectivity', ACCOUNT, connectivityRead.storedBody, connectivityRead.identity), connectivityFacts),
    },
    records: recordsOf(toRecords(received('connectivity', ACCOUNT, connectivityRead.storedBody, connectivityRead.identity), connectivityFacts)),
    floor: floorOf(key, connectivity),
  });

  const soap = Buffer.from(
    soapEnvelope(
      '<CarrierService><StateChange>Active</StateChange><ServicePlan>M2M_4G</ServicePlan></CarrierService>',
      '1.1',
      credentials.username,
      credentials.password,
    ),
  );
  // JSON.parse cannot read XML: the floor parses the same callback's JSON form (the REST twin) instead.
  const soapTwin = Buffer.from(
    JSON.stringify({
      requestId: 'c8de7c1d-59b9-4cf3-b969-db76cb2ce509',
      deviceIds: [{ id: '8586928930', kind: 'mdn' }],
      carrierService: { stateChange: 'Active', servicePlan: 'M2M_4G' },
      ...credentials,
    }),
  );
  const soapRead = readSoap(soap, 'text/xml; charset=utf-8');
  const soapFacts = mapSoap(soapRead.message, ACCOUNT);
  out.push({
    name: 'thingspace soap',
    bytes: soap.length,
    work: () => {
      const read = readSoap(soap, 'text/xml; charset=utf-8');
      verifyCredentials(read.credentials, [credentials]);
      return toRecords(received('soap', ACCOUNT, read.storedBody), mapSoap(read.message, ACCOUNT));
    },
    stages: {
      parse: () => readSoap(soap, 'text/xml; charset=utf-8'),
      verify: () => verifyCredentials(soapRead.credentials, [credentials]),
      map: () => mapSoap(soapRead.message, ACCOUNT),
      toRecords: () => toRecords(received('soap', ACCOUNT, soapRead.storedBody), soapFacts),
    },
    records: recordsOf(toRecords(received('soap', ACCOUNT, soapRead.storedBody), soapFacts)),
    floor: floorOf(key, soap, soapTwin),
    floorNote: 'HMAC over the XML, JSON.parse of the same callback as JSON',
  });

  const appKey = randomBytes(32).toString('base64').slice(0, 43);
  const appSecret = randomBytes(24).toString('base64url');
  const nonce = String(Date.now());
  const reading = { battery: 90, temperature: 21.5, humidity: 48, light: 312, alarm: false };
  const push = { appId: APP_ID, sn: '0117C9XXXX', type: 'text', deviceType: 'node', createdTime: Date.now(), msgId: 1_700_000_001 };
  for (const safe of [false, true]) {
    const body = Buffer.from(
      JSON.stringify(safe ? { ...push, encryptData: encryptSensoro(appKey, APP_ID, JSON.stringify(reading)) } : { ...push, data: reading }),
    );
    const signature = sensoroSignature(appSecret, nonce, 'POST', SENSORO_URL, body.toString('utf8'));
    const parsed = parsePush(body);
    const plain = parsed.encryptData !== undefined ? decryptSensoro(parsed.encryptData, appKey) : undefined;
    const message = plain ? withDecrypted(parsed, plain.json) : parsed;
    const facts = mapPush(message, APP_ID);
    out.push({
      name: `sensoro ${safe ? 'safe mode' : 'plain'}`,
      bytes: body.length,
      work: () => {
        if (!verifySensoroSignature(signature, [appSecret], nonce, 'POST', SENSORO_URL, [body])) throw new Error('bench: signature');
        let message = parsePush(body);
        if (message.encryptData !== undefined) {
          const plain = decryptSensoro(message.encryptData, appKey);
          if (plain.appId !== APP_ID) throw new Error('bench: appId');
          message = withDecrypted(message, plain.json);
        }
        return toRecords(received('sensoro', APP_ID, body), mapPush(message, APP_ID));
      },
      stages: {
        verify: () => verifySensoroSignature(signature, [appSecret], nonce, 'POST', SENSORO_URL, [body]),
        parse: () => parsePush(body),
        ...(parsed.encryptData !== undefined ? { decrypt: () => withDecrypted(parsed, decryptSensoro(parsed.encryptData!, appKey).json) } : {}),
        map: () => mapPush(message, APP_ID),
        toRecords: () => toRecords(received('sensoro', APP_ID, body), facts),
      },
      records: recordsOf(toRecords(received('sensoro', APP_ID, body), facts)),
      floor: floorOf(appSecret, body),
    });
  }
  return out;
}

interface Measured {
  name: string;
  bytes: number;
  floorNs: number;
  workNs: number;
  ratio: number;
  floorRounds: number[];
  workRounds: number[];
  floorNote?: string;
  records: number;
  /** Median ns of each step on its own. */
  stageNs: Partial<Record<StageName, number>>;
}

/** Median ns per call over a few short rounds: for the steps, which explain the totals, not targets. */
function quick(fn: () => unknown): number {
  iterationsFor(fn, STAGE_WARMUP_MS);
  const n = iterationsFor(fn, STAGE_ROUND_MS);
  return median(Array.from({ length: STAGE_ROUNDS }, () => nsPerOp(fn, n)));
}

/**
 * Times every function in rounds: each round runs each function once for ~roundMs, in turn, so a
 * burst of load from elsewhere on the machine hits one round of many functions rather than every
 * round of one; the median of its rounds is each function's figure (ns per call).
 */
function interleaved(fns: Array<() => unknown>, rounds: number, roundMs: number, warmupMs: number): number[][] {
  for (const fn of fns) iterationsFor(fn, warmupMs);
  const iterations = fns.map((fn) => iterationsFor(fn, roundMs));
  const samples = fns.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) fns.forEach((fn, i) => samples[i]!.push(nsPerOp(fn, iterations[i]!)));
  return samples;
}

/** Work and floor of every channel, then every step on its own, all interleaved. */
function measureAll(cases: Case[]): Measured[] {
  for (const c of cases) c.work(); // throws here, not inside a timed loop, if a body does not verify
  const rounds = interleaved(
    cases.flatMap((c) => [c.floor, c.work]),
    ROUNDS,
    ROUND_MS,
    WARMUP_MS,
  );
  const steps = cases.flatMap((c) => Object.entries(c.stages).map(([name, fn]) => ({ c, name: name as StageName, fn })));
  const stepRounds = interleaved(
    steps.map((st) => st.fn),
    STAGE_ROUNDS,
    STAGE_ROUND_MS,
    STAGE_WARMUP_MS,
  );
  return cases.map((c, i) => {
    const floorRounds = rounds[2 * i]!;
    const workRounds = rounds[2 * i + 1]!;
    const floorNs = median(floorRounds);
    const workNs = median(workRounds);
    const stageNs: Measured['stageNs'] = {};
    steps.forEach((st, j) => {
      if (st.c === c) stageNs[st.name] = median(stepRounds[j]!);
    });
    return {
      name: c.name,
      bytes: c.bytes,
      floorNs,
      workNs,
      ratio: workNs / floorNs,
      floorRounds,
      workRounds,
      floorNote: c.floorNote,
      records: c.records,
      stageNs,
    };
  });
}

/** Parsing a channel secret (JSON.parse + zod): what a request pays wherever the cached string is parsed again. */
function secretParse(): number {
  const value = JSON.stringify({
    current: { key: randomUUID(), token: 'x'.repeat(32) },
    previous: { key: randomUUID() },
    previousValidUntil: '2099-01-01T00:00:00.000Z',
  });
  const fn = () => validVersions(parseChannelSecret('thingspace/a/diagnostics', value), new Date());
  iterationsFor(fn, WARMUP_MS);
  const n = iterationsFor(fn, ROUND_MS);
  return median(Array.from({ length: ROUNDS }, () => nsPerOp(fn, n)));
}

/**
 * A record literal of toRecords' event shape built as `{ ...common, id, deviceId, … }` against the same
 * object with its fields listed: on Node 20's V8, properties added after a leading spread each take
 * the slow path (a fresh map per store), at several µs per record.
 */
function spreadProbe(): { spreadNs: number; listedNs: number } {
  const rawBody = 'x'.repeat(383);
  const device = { id: '990013907835573', kind: 'imei' };
  const spread = () => {
    const common = { messageId: 'AAAAAAAAAAAAAAAA', scopeId: ACCOUNT, provider: 'thingspace', channel: 'diagnostics' };
    return {
      ...common,
      id: 'BBBBBBBBBBBBBBBB',
      deviceId: device.id,
      deviceKind: device.kind,
      resource: 'diagnostics',
      action: 'observation',
      receivedOn: 'r',
      sentOn: 's',
      operationId: 'tx',
      payload: {},
      rawBody,
    };
  };
  const listed = () => {
    const common = { messageId: 'AAAAAAAAAAAAAAAA', scopeId: ACCOUNT, provider: 'thingspace', channel: 'diagnostics' };
    return {
      messageId: common.messageId,
      scopeId: common.scopeId,
      provider: common.provider,
      channel: common.channel,
      id: 'BBBBBBBBBBBBBBBB',
      deviceId: device.id,
      deviceKind: device.kind,
      resource: 'diagnostics',
      action: 'observation',
      receivedOn: 'r',
      sentOn: 's',
      operationId: 'tx',
      payload: {},
      rawBody,
    };
  };
  return { spreadNs: quick(spread), listedNs: quick(listed) };
}

/** Group 1: the CPU cost of one message per channel, no I/O, against one HMAC + one JSON.parse. */
export async function runHotPath(): Promise<GroupResult> {
  const measured = measureAll(cases());
  const secretNs = secretParse();
  const probe = spreadProbe();
  // The other part of toRecords: the SHA-256 message id over the body.
  const diagnosticsBody = fixture('diagnostics-observation.json');
  // readSoap walks the document twice: XMLValidator.validate (well-formedness), then XMLParser.parse.
  const soapXml = soapEnvelope('<CarrierService><StateChange>Active</StateChange><ServicePlan>M2M_4G</ServicePlan></CarrierService>');
  const soapValidateNs = quick(() => XMLValidator.validate(soapXml));
  const messageIdNs = quick(() => messageIdOf(Date.now(), messageHashOf(received('diagnostics', ACCOUNT, diagnosticsBody))));
  // Safe mode's own extra: one AES-256-CBC decipher per push (decryptSensoro alone, without withDecrypted).
  const probeKey = randomBytes(32).toString('base64').slice(0, 43);
  const probeData = encryptSensoro(probeKey, APP_ID, JSON.stringify({ battery: 90, temperature: 21.5, humidity: 48, light: 312, alarm: false }));
  const decryptNs = quick(() => decryptSensoro(probeData, probeKey));
  const us = (ns: number) => fmt(ns / 1000, 2);
  const perCore = (ns: number) => fmt(1e9 / ns, 0);
  const rows = measured.map((m) => [m.name, String(m.bytes), us(m.workNs), perCore(m.workNs), us(m.floorNs), perCore(m.floorNs), ratio(m.ratio)]);
  const targets = measured.map((m) => target(GROUP, `${m.name}: hot path / floor`, m.ratio, '<=', TARGET_RATIO));
  const worst = measured.reduce((a, b) => (b.ratio > a.ratio ? b : a));
  const share = (m: Measured, stage: StageName) => (m.stageNs[stage] ?? 0) / STAGES.reduce((n, st) => n + (m.stageNs[st] ?? 0), 0);
  const stageTable = {
    title:
      'Why (hot path): µs per step, each step timed on its own (medians; a step alone runs with warm caches and less garbage to collect, so the steps can sum to less than the whole)',
    headers: ['channel', ...STAGES, 'records', 'toRecords share', 'floor'],
    rows: measured.map((m) => [
      m.name,
      ...STAGES.map((st) => (m.stageNs[st] === undefined ? '–' : us(m.stageNs[st]!))),
      String(m.records),
      `${fmt(share(m, 'toRecords') * 100, 0)} %`,
      us(m.floorNs),
    ]),
  };
  const notes = [
    `Floor = one HMAC-SHA256 over the body + one JSON.parse of it (soap: ${measured.find((m) => m.floorNote)?.floorNote}). Medians of ${ROUNDS} rounds of ~${ROUND_MS} ms each, after a ${WARMUP_MS} ms warm-up; every round times each channel's floor and work in turn.`,
    `Highest ratio: ${worst.name} ${ratio(worst.ratio)}.`,
    `Probe of a record literal (toRecords' event shape): \`{ ...common, id, deviceId, … }\`, a leading spread then more properties, ${us(probe.spreadNs)} µs; the same fields written out, ${us(probe.listedNs)} µs (on some V8 versions every property added after a leading spread takes the slow path).`,
    `soap parse (shared/thingspace/soap.ts readSoap) is two passes of fast-xml-parser: XMLValidator.validate alone takes ${us(soapValidateNs)} µs, XMLParser.parse most of the rest; a JS XML parser against a native JSON.parse floor.`,
    `SHA-256 message id (shared/mapping.ts messageIdOf, the diagnostics body): ${us(messageIdNs)} µs per message. SENSORO safe mode's decryptSensoro alone (one AES-256-CBC decipher): ${us(decryptNs)} µs, about one floor; its decrypt step adds withDecrypted (a second JSON parse).`,
    `Not in the hot path: parsing a channel secret (parseChannelSecret, JSON.parse + zod) takes ${us(secretNs)} µs, per request wherever a cached secret is parsed again.`,
  ];
  return {
    group: GROUP,
    title: 'Hot path per message (verify + decrypt + parse + map + toRecords, no I/O) against one HMAC + one JSON.parse',
    headers: ['channel', 'body B', 'µs/msg', 'msg/s/core', 'floor µs', 'floor msg/s', 'ratio (target ≤ 5×)'],
    rows,
    targets,
    notes,
    extraTables: [stageTable],
    data: {
      rounds: ROUNDS,
      roundMs: ROUND_MS,
      warmupMs: WARMUP_MS,
      channels: measured.map((m) => ({
        channel: m.name,
        bodyBytes: m.bytes,
        usPerMessage: m.workNs / 1000,
        messagesPerSecondPerCore: 1e9 / m.workNs,
        floorUsPerMessage: m.floorNs / 1000,
        floorMessagesPerSecondPerCore: 1e9 / m.floorNs,
        ratio: m.ratio,
        ...(m.floorNote ? { floorNote: m.floorNote } : {}),
        records: m.records,
        stepsUs: Object.fromEntries(Object.entries(m.stageNs).map(([k, ns]) => [k, ns / 1000])),
        roundsUs: m.workRounds.map((ns) => ns / 1000),
        floorRoundsUs: m.floorRounds.map((ns) => ns / 1000),
      })),
      secretParseUsPerRequest: secretNs / 1000,
      soapValidateUs: soapValidateNs / 1000,
      messageIdOfUs: messageIdNs / 1000,
      decryptSensoroUs: decryptNs / 1000,
      spreadProbeUsPerRecord: { leadingSpread: probe.spreadNs / 1000, fieldsListed: probe.listedNs / 1000 },
    },
  };
}
