import type { Channel } from '../channels';
import type { CallbackFacts } from '../mapping';
import { mapPush, parsePush, withDecrypted } from '../sensoro/push';
import { mapConnectivity, readConnectivity } from '../thingspace/connectivity';
import { mapDiagnostics, parseDiagnostics } from '../thingspace/diagnostics';
import { mapLocation, parseLocation } from '../thingspace/location';
import { mapSoap, readSoap } from '../thingspace/soap';

/**
 * What a stored body says, read again with its channel's own parser and mapper: the query API
 * derives an event's payload, action and operation from the one stored copy of the body instead
 * of storing a parsed copy beside it on every callback. The same functions ran when the callback
 * was received, so the answer is what was mapped then (or, after a mapper is fixed, what the fixed
 * one makes of it).
 */
export function factsOf(channel: Channel, body: Buffer, scopeId: string, plaintext?: Buffer): CallbackFacts {
  switch (channel) {
    case 'diagnostics':
      return mapDiagnostics(parseDiagnostics(body), scopeId);
    case 'location':
    case 'device-location':
      return mapLocation(parseLocation(body), scopeId, channel);
    case 'connectivity':
      return mapConnectivity(readConnectivity(body).message, scopeId);
    case 'soap':
      // The stored envelope is the received one with its credentials blanked; its version does not change the mapping.
      return mapSoap(readSoap(body, 'text/xml').message, scopeId);
    case 'sensoro': {
      const push = parsePush(body);
      return mapPush(plaintext !== undefined && push.encryptData !== undefined ? withDecrypted(push, plaintext.toString('utf8')) : push, scopeId);
    }
  }
}
