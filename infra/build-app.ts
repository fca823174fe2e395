import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { IngestStack } from './ingest-stack.js';
import { stackPropsFromContext, unknownContextKeys } from './stack-context.js';

/**
 * The CDK app: one s3-ingest stack from the context (`-c KEY=VALUE`, cdk.json), checked by
 * cdk-nag's AWS Solutions and Serverless packs. An unknown context key, a setting the worker
 * would reject and one AWS would refuse all fail here, before anything deploys.
 *
 * @throws {Error} naming the offending setting
 */
export function buildApp(props: AppProps = {}): App {
  const app = new App(props);
  const unknown = unknownContextKeys(app.node.getAllContext());
  if (unknown.length > 0) throw new Error(`${unknown.join('; ')}; known keys are listed in docs/deploy.md`);
  const { stackName, props: stackProps } = stackPropsFromContext((key) => app.node.tryGetContext(key));
  new IngestStack(app, stackName, {
    ...stackProps,
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  return app;
}
