import type { Provider } from './model';

/** The webhook channels, each a route of one provider. */
export type Channel = 'diagnostics' | 'location' | 'device-location' | 'connectivity' | 'soap' | 'sensoro';

/**
 * One letter per channel, stored on every record (attribute `c`) instead of the provider and
 * channel names: it tells the reader which parser reads the stored body back. Never reuse a
 * letter for another channel: stored records keep theirs for their whole retention.
 */
export const CHANNEL_CODES: Readonly<Record<Channel, string>> = {
  diagnostics: 'D',
  location: 'L',
  'device-location': 'G',
  connectivity: 'C',
  soap: 'S',
  sensoro: 'O',
};

const BY_CODE = new Map(Object.entries(CHANNEL_CODES).map(([channel, code]) => [code, channel as Channel]));

/** The channel a stored code names; undefined for an unknown code. */
export const channelOfCode = (code: unknown): Channel | undefined => (typeof code === 'string' ? BY_CODE.get(code) : undefined);

/** The provider behind a channel. */
export const providerOf = (channel: Channel): Provider => (channel === 'sensoro' ? 'sensoro' : 'thingspace');
