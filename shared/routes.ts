/**
 * Every HTTP route of the gateway, once: the CDK stack makes one Lambda and one API route of
 * each, and the local server serves the same table by importing the same handler modules.
 */
export interface RouteDefinition {
  /** Function id: also the folder under `functions/`. */
  id: string;
  /** Whose callbacks it receives: decides which provider settings the function gets. */
  provider: 'thingspace' | 'sensoro';
  method: 'GET' | 'POST' | 'DELETE';
  /** API Gateway path with `{param}` placeholders. */
  path: string;
  /** Handler module relative to the repository root; it exports `handler`. */
  entry: string;
  /** Secret names (after the prefix) the function may read, `*` standing for one path segment. */
  secrets: string[];
  /** Whether the function writes callbacks to the table. */
  writesTable: boolean;
}

/** A ThingSpace channel route; `secret` is the channel whose secret verifies it (SOAP shares Connectivity's). */
const thingspace = (channel: string, secret = channel): RouteDefinition => ({
  id: `thingspace-${channel}`,
  provider: 'thingspace',
  method: 'POST',
  path: `/webhooks/thingspace/{account}/${channel}`,
  entry: `functions/thingspace-${channel}/handler.ts`,
  secrets: [`thingspace/*/${secret}`],
  writesTable: true,
});

/** The webhook routes, one Lambda each. */
export const ROUTES: readonly RouteDefinition[] = [
  thingspace('diagnostics'),
  thingspace('location'),
  thingspace('device-location'),
  thingspace('connectivity'),
  thingspace('soap', 'connectivity'),
  {
    id: 'sensoro',
    provider: 'sensoro',
    method: 'POST',
    path: '/webhooks/sensoro/{appId}',
    entry: 'functions/sensoro/handler.ts',
    secrets: ['sensoro/*'],
    writesTable: true,
  },
];
