import type { ChannelDefinition, Provider } from './definition';
import { sensoro } from './sensoro';
import { connectivity, deviceLocation, diagnostics, location, soap } from './thingspace';

/**
 * The webhook channels, each a route of one provider: the registry everything channel-specific
 * reads (routes and functions, stored codes, event detail-types, local samples and secrets). A
 * channel is one line here, its definition in its provider module, and its handler file; the
 * compiler then refuses every table keyed by Channel that lacks it (README "Add a channel").
 * Light on purpose: every Lambda imports it; parsers stay behind the channel's own module.
 */
export const CHANNELS = {
  diagnostics,
  location,
  'device-location': deviceLocation,
  connectivity,
  soap,
  sensoro,
} as const satisfies Record<string, ChannelDefinition>;

export type Channel = keyof typeof CHANNELS;

/** Every channel, in the registry's order. */
export const CHANNEL_NAMES = Object.keys(CHANNELS) as Channel[];

/** A table of one value per channel, computed from its definition. */
export const perChannel = <T>(value: (definition: ChannelDefinition, channel: Channel) => T): Readonly<Record<Channel, T>> =>
  Object.fromEntries(CHANNEL_NAMES.map((channel) => [channel, value(CHANNELS[channel], channel)])) as Record<Channel, T>;

/**
 * One letter per channel, stored on every record (attribute `c`) instead of the provider and
 * channel names: it tells the reader which parser reads the stored body back. Never reuse a
 * letter for another channel: stored records keep theirs for their whole retention.
 */
export const CHANNEL_CODES: Readonly<Record<Channel, string>> = perChannel((definition) => definition.code);

const BY_CODE = new Map(CHANNEL_NAMES.map((channel) => [CHANNEL_CODES[channel], channel]));

/** The channel a stored code names; undefined for an unknown code. */
export const channelOfCode = (code: unknown): Channel | undefined => (typeof code === 'string' ? BY_CODE.get(code) : undefined);

/** The provider behind a channel. */
export const providerOf = (channel: Channel): Provider => CHANNELS[channel].provider;

/** The request path of a channel's route for one scope (account or AppID). */
export const routePathOf = (channel: Channel, scope: string): string => {
  const definition = CHANNELS[channel];
  return definition.route.replace(`{${definition.scopeParam}}`, scope);
};
