import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

/**
 * Plugs the cdk-nag AwsSolutions rule pack into synthesis: any unacknowledged finding, error or
 * warning, fails `cdk synth` (and deploy). Acknowledgements sit next to the resource they are about.
 */
export function addSecurityChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}
