import { App } from 'aws-cdk-lib';
import { addSecurityChecks } from './checks';
import { settingsFromContext } from './context';
import { IotCallbackGatewayStack } from './stack';

// Settings come from cdk.json context or `-c key=value` (see README "Configure").
const app = new App();
new IotCallbackGatewayStack(app, 'IotCallbackGateway', {
  ...settingsFromContext(app.node),
  description: 'IoT callback gateway: ThingSpace and SENSORO webhooks and the query API -> HTTP API -> Lambda -> DynamoDB',
  // Account and region of the CLI's profile; unset, the template stays environment-agnostic.
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
// cdk-nag AwsSolutions on every synth: an unacknowledged finding fails it.
addSecurityChecks(app);
app.synth();
