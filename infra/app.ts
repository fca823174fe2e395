import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { IngestStack } from './ingest-stack.js';
import { stackPropsFromContext } from './stack-context.js';

/** The CDK app: one s3-ingest stack, checked by cdk-nag's AWS Solutions and Serverless packs. */
const app = new App();
const { stackName, props } = stackPropsFromContext((key) => app.node.tryGetContext(key));
new IngestStack(app, stackName, {
  ...props,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
app.synth();
