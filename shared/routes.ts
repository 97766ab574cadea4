/**
 * Every HTTP route of the gateway, once: the CDK stack makes one Lambda and one API route of
 * each, and the local server serves the same table by importing the same handler modules.
 */
export interface RouteDefinition {
  /** Function id: also the folder under `functions/`. */
  id: string;
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

const thingspaceHmac = (channel: string): RouteDefinition => ({
  id: `thingspace-${channel}`,
  method: 'POST',
  path: `/webhooks/thingspace/{account}/${channel}`,
  entry: `functions/thingspace-${channel}/handler.ts`,
  secrets: [`thingspace/*/${channel}`],
  writesTable: true,
});

/** The webhook routes, one Lambda each. */
export const ROUTES: readonly RouteDefinition[] = [
  thingspaceHmac('diagnostics'),
  thingspaceHmac('location'),
  thingspaceHmac('device-location'),
];
