#!/usr/bin/env node
// The `s3-ingest` command. The sources are TypeScript, run through tsx (installed by `npm ci`),
// so the command works from a checkout with no build step.
// Under Node.js 20 the AWS SDK prints a nine-line notice that later versions need Node.js 22 on
// every command; the README says which versions are supported, so the tools' output stays clean.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { register } = await import('tsx/esm/api');
register();
const { runCli } = await import(new URL('../src/cli/main.ts', import.meta.url).href);
const code = await runCli(process.argv.slice(2));
if (code !== undefined) process.exitCode = code;
