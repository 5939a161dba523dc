import { App } from 'aws-cdk-lib';
import { ConfigError } from '../shared/config';
import { loadDeployConfig } from './config';
import { DriftwatchStack } from './driftwatch-stack';

/**
 * The CDK app: `npx cdk synth|deploy [-c config=path/to/driftwatch.config.json]`. A config the
 * stack cannot use stops it with one line that names the key to fix.
 */
function main(): void {
  const app = new App();
  const { config, baseDir } = loadDeployConfig(app.node.tryGetContext('config'));
  new DriftwatchStack(app, 'Driftwatch', { config, configDir: baseDir });
  app.synth();
}

try {
  main();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`driftwatch: ${error.message}\n`);
  process.exitCode = 1;
}
