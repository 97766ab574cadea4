import type { Channel } from '../channels';
import type { CallbackFacts } from '../mapping';
import { sensoroReader } from '../sensoro/push';
import { connectivityReader } from '../thingspace/connectivity';
import { diagnosticsReader } from '../thingspace/diagnostics';
import { deviceLocationReader, locationReader } from '../thingspace/location';
import { soapReader } from '../thingspace/soap';

/** Reads a stored body back into what it says: the channel's own parser and mapper. */
export type StoredBodyReader = (body: Buffer, scopeId: string, plaintext?: Buffer) => CallbackFacts;

/**
 * Each channel's reader, exported by its provider module beside its parser: the compiler refuses
 * a channel of the registry (shared/channels.ts) without one. Only the readers of stored bodies
 * (the query API, the event publisher) import this; a webhook bundles its own channel's parser only.
 */
export const READERS = {
  diagnostics: diagnosticsReader,
  location: locationReader,
  'device-location': deviceLocationReader,
  connectivity: connectivityReader,
  soap: soapReader,
  sensoro: sensoroReader,
} as const satisfies Record<Channel, StoredBodyReader>;

/**
 * What a stored body says, read again with its channel's own parser and mapper: the query API
 * derives an event's payload, action and operation from the one stored copy of the body instead
 * of storing a parsed copy beside it on every callback. The same functions ran when the callback
 * was received, so the answer is what was mapped then (or, after a mapper is fixed, what the fixed
 * one makes of it).
 */
export function factsOf(channel: Channel, body: Buffer, scopeId: string, plaintext?: Buffer): CallbackFacts {
  return READERS[channel](body, scopeId, plaintext);
}
