import { App } from 'aws-cdk-lib';
import { ConfigError } from '../shared/config';
import { loadDeployConfig, parseDigestEmails } from './config';
import { DriftwatchStack } from './driftwatch-stack';

/**
 * The CDK app: `npx cdk synth|deploy [-c config=path/to/driftwatch.config.json]
 * [-c digestEmails=a@example.com,b@example.com]`. A config the stack cannot use stops it with one
 * line that names the key to fix.
 */
function main(): void {
  const app = new App();
  const { config, baseDir } = loadDeployConfig(app.node.tryGetContext('config'));
  const digestEmails = parseDigestEmails(app.node.tryGetContext('digestEmails'));
  new DriftwatchStack(app, 'Driftwatch', { config, configDir: baseDir, digestEmails });
  app.synth();
}

try {
  main();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`driftwatch: ${error.message}\n`);
  process.exitCode = 1;
}
