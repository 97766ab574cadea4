/**
 * What every webhook channel declares (README "Add a channel"): the provider module exports one
 * of these per channel and shared/channels.ts lists them. It holds only what is light (names,
 * strings, small functions): every Lambda may import it. The parsers and verifiers stay in the
 * channel's own module, which only its handler and the readers of stored bodies import.
 */

/** Who sends callbacks: the one place the providers are named. */
export type Provider = 'thingspace' | 'sensoro';

/** What makes a sample callback a new message (see local/callbacks.ts). */
export interface SampleUniqueness {
  /** An id of this send (the operation, report or request id of the sample). */
  id: string;
  /** The sample's time, ISO 8601. */
  time: string;
  /** The sample's time, epoch ms. */
  ms: number;
}

export interface ChannelDefinition {
  provider: Provider;
  /** The function serving it: its folder under `functions/`, holding `handler.ts`. */
  functionId: string;
  /** Its API Gateway route (POST), with the scope placeholder. */
  route: string;
  /** The route's scope placeholder: the ThingSpace account or the SENSORO AppID. */
  scopeParam: 'account' | 'appId';
  /** The secret that verifies its callbacks, for a scope (shared/secret-names.ts). */
  secretName: (scope: string) => string;
  /**
   * One letter stored on every record (attribute `c`): it tells the reader which parser reads the
   * stored body back. Never reuse a letter for another channel: stored records keep theirs.
   */
  code: string;
  /** `detail-type` of its device events (shared/events/contract.ts). */
  detailType: string;
  /** A body for `npm run send` (SENSORO: the sensor data; SOAP: the Data element's content). */
  sample: (u: SampleUniqueness) => string;
  /** A fresh random value of its secret's current version, for the local secrets file. */
  localSecret: () => Record<string, string>;
}
