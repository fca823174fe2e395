import type { WorkerLambdaSettings } from './template-settings.js';

/**
 * Variables Lambda's Node.js runtime sets in every execution environment (AWS's "defined runtime
 * environment variables"), beside the function's own. A variable the worker reads must be one of
 * these, one the template sets, or one it has a default for.
 */
export const LAMBDA_SET_VARIABLES: readonly string[] = [
  '_HANDLER',
  '_X_AMZN_TRACE_ID',
  'AWS_DEFAULT_REGION',
  'AWS_REGION',
  'AWS_EXECUTION_ENV',
  'AWS_LAMBDA_FUNCTION_NAME',
  'AWS_LAMBDA_FUNCTION_MEMORY_SIZE',
  'AWS_LAMBDA_FUNCTION_VERSION',
  'AWS_LAMBDA_INITIALIZATION_TYPE',
  'AWS_LAMBDA_LOG_GROUP_NAME',
  'AWS_LAMBDA_LOG_STREAM_NAME',
  'AWS_LAMBDA_LOG_FORMAT',
  'AWS_LAMBDA_LOG_LEVEL',
  'AWS_LAMBDA_RUNTIME_API',
  'AWS_ACCESS_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_XRAY_CONTEXT_MISSING',
  'AWS_XRAY_DAEMON_ADDRESS',
  'LAMBDA_TASK_ROOT',
  'LAMBDA_RUNTIME_DIR',
  'LANG',
  'LD_LIBRARY_PATH',
  'NODE_PATH',
  'PATH',
  'TZ',
];

/**
 * What the local stack sets that a deployed function does not have, and why: where the AWS
 * endpoints are (the front door on 127.0.0.1 instead of AWS's), and the SDK's notice about
 * Node.js 20 (the local environments may run on it; the Lambda runs 22).
 */
export const LOCAL_ONLY_VARIABLES: Readonly<Record<string, string>> = {
  AWS_ENDPOINT_URL_S3: 'S3 is the local front door, not s3.<region>.amazonaws.com',
  AWS_ENDPOINT_URL_SQS: 'SQS is the local front door',
  AWS_ENDPOINT_URL_DYNAMODB: 'DynamoDB is the local front door',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'the SDK would warn once per environment on Node.js 20',
};

/**
 * The whole environment of an execution environment: the function's variables and those Lambda
 * sets itself ({@link LAMBDA_SET_VARIABLES}), and {@link LOCAL_ONLY_VARIABLES}. Nothing of this
 * process's environment leaks in but PATH.
 */
export function lambdaEnvironment(options: {
  functionName: string;
  region: string;
  settings: WorkerLambdaSettings;
  endpoint: string;
  workerEnv: Readonly<Record<string, string>>;
}): Record<string, string> {
  const { functionName, region, settings, endpoint, workerEnv } = options;
  const jsonLogs = settings.logging.format.toUpperCase() === 'JSON';
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    LANG: 'en_US.UTF-8',
    TZ: 'UTC',
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_SESSION_TOKEN: 'local',
    AWS_EXECUTION_ENV: `AWS_Lambda_${settings.runtime}`,
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(settings.memorySize),
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: 'local',
    // With JSON logging Lambda tells the runtime the format and the application log level (INFO unless set).
    ...(jsonLogs && {
      AWS_LAMBDA_LOG_FORMAT: 'JSON',
      AWS_LAMBDA_LOG_LEVEL: settings.logging.applicationLogLevel ?? 'INFO',
    }),
    _HANDLER: settings.handler,
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_ENDPOINT_URL_SQS: endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...workerEnv,
  };
}
