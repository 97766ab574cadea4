/**
 * The names of the gateway's secrets (after the deployment's prefix), built here and nowhere else:
 * a ThingSpace channel's (`thingspace/{account}/{channel}`), a ThingSpace account's API
 * credentials (`thingspace/{account}/api`) and a SENSORO application's (`sensoro/{appId}`).
 * `*` as the account or AppID gives the pattern IAM grants.
 */
export const thingspaceSecretName = (account: string, channel: string): string => `thingspace/${account}/${channel}`;

/** The ThingSpace API credentials of an account (what the re-registration job logs in with). */
export const thingspaceApiSecretName = (account: string): string => thingspaceSecretName(account, 'api');

/** A SENSORO application's AppKey and AppSecret. */
export const sensoroSecretName = (appId: string): string => `sensoro/${appId}`;
