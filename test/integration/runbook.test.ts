import { execFile } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAMBDA_NODE_PATH, lambdaNodeInstalled } from '../../src/local/lambda/node-runtime.js';
import type { LocalStack } from '../../src/local/stack.js';
import { hasStackTrace } from '../support/cli.js';
import { drained, startTestStack } from '../support/pipeline.js';

// Every `s3-ingest ...` command of RUNBOOK.md, README.md and docs/, run as written against a local
// stack, with `s3-ingest` on the PATH as `npm link` puts it there (a link to this checkout's
// binary): `$S` (the deployed stack's name) becomes the local stack file and the example bucket
// `team-a-uploads` the local `uploads`.

const REPO = resolve(import.meta.dirname, '../..');
/** The reference pages, whose commands are run like the README's. */
const DOC_PAGES = readdirSync(join(REPO, 'docs'))
  .filter((name) => name.endsWith('.md'))
  .map((name) => `docs/${name}`);
const BIN = join(REPO, 'bin/s3-ingest.js');

/** Commands that exist on AWS only: on the local stack they must refuse plainly (exit 2). */
const AWS_ONLY = [/^s3-ingest redrive progress/, /^s3-ingest redrive cancel/, /--batch-operations/];

/** The `s3-ingest` commands of a Markdown file, in order, without their trailing comments. */
function documentedCommands(text: string): string[] {
  // A command continued on the next line (`\` at the end) is one command.
  const markdown = text.replace(/\\\n\s*/g, '');
  const commands: string[] = [];
  for (const match of markdown.matchAll(/(?:^[ \t]*|`)(s3-ingest [^`\n]*)/gm)) {
    const text = match[1] ?? '';
    // Cut a trailing "# comment" that is outside quotes.
    let quote = '';
    let end = text.length;
    for (let i = 0; i < text.length; i += 1) {
      const char = text[i] ?? '';
      if (quote) {
        if (char === quote) quote = '';
      } else if (char === "'" || char === '"') quote = char;
      else if (char === '#' && /\s/.test(text[i - 1] ?? '')) {
        end = i;
        break;
      }
    }
    commands.push(text.slice(0, end).trim());
  }
  return [...new Set(commands)];
}

let stack: LocalStack;
let workDir: string;
let stackFile: string;

let linkedBin: string;

function runShell(
  command: string,
  cwd = workDir,
): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      'bash',
      ['-c', command],
      {
        cwd,
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, PATH: `${linkedBin}:${process.env.PATH ?? ''}` },
      },
      (error, stdout, stderr) => {
        done({
          status: error && typeof error.code === 'number' ? error.code : error ? -1 : 0,
          stdout,
          stderr,
        });
      },
    );
  });
}

beforeAll(async () => {
  stack = await startTestStack({ maxReceiveCount: 2 });
  workDir = mkdtempSync(join(tmpdir(), 's3-ingest-runbook-'));
  cpSync(join(REPO, 'samples'), join(workDir, 'samples'), { recursive: true });
  stackFile = join(workDir, 'stack.json');
  // What `npm link` leaves: a command on the PATH that is a link to this checkout's binary.
  linkedBin = join(workDir, 'bin');
  mkdirSync(linkedBin);
  symlinkSync(BIN, join(linkedBin, 's3-ingest'));
  writeFileSync(stackFile, JSON.stringify(stack.description));
  // What the commands look at: objects under the documented keys, a poison message and a
  // message from the "legacy producer" in the DLQ.
  for (const key of ['reports/q3 final.pdf', 'reports/2026/a.txt', 'reports/2026/setup.exe']) {
    await stack.clients.s3.send(new PutObjectCommand({ Bucket: 'uploads', Key: key, Body: key }));
  }
  await drained(stack);
  for (const body of ['not json', '{"from":"legacy-producer"}']) {
    await stack.clients.sqs.send(
      new SendMessageCommand({ QueueUrl: stack.queues.dlq.url, MessageBody: body }),
    );
  }
});
afterAll(async () => {
  await stack?.stop();
});

describe('documented commands', () => {
  const documented = [
    ...documentedCommands(readFileSync(join(REPO, 'RUNBOOK.md'), 'utf8')),
    ...documentedCommands(readFileSync(join(REPO, 'README.md'), 'utf8')),
    ...DOC_PAGES.flatMap((page) => documentedCommands(readFileSync(join(REPO, page), 'utf8'))),
  ]
    .filter((command, index, all) => all.indexOf(command) === index)
    // A load test, a local stack, a console or an events tail runs for minutes or until stopped:
    // their own tests cover them (test/loadtest, test/integration/npm-start, console-server,
    // test/browser and upload-events).
    .filter((command) => !/^s3-ingest (loadtest|start|console|events tail)\b/.test(command));

  it('finds the commands it runs (not a pass by matching nothing)', () => {
    expect(documented.length).toBeGreaterThanOrEqual(20);
    expect(documented).toContain('s3-ingest redrive discard --filter malformed --yes $S');
  });

  it('shows no invocation that asks the public registry for a package named s3-ingest', () => {
    // `npx s3-ingest` outside the checkout installs whatever the registry has under that name.
    for (const file of ['README.md', 'RUNBOOK.md', ...DOC_PAGES]) {
      const text = readFileSync(join(REPO, file), 'utf8');
      const unsafe = [
        ...text.matchAll(/(?:npx|npm exec|npm x)(?: (?!--no\b|--no-install\b)[-\w]+)* s3-ingest\b/g),
      ]
        // The warning that names the unsafe form ("Never `npx s3-ingest` ...") is not an invocation.
        .filter((m) => !/Never(?: \w+)?\W*$/.test(text.slice(Math.max(0, m.index - 30), m.index)))
        .map((m) => m[0]);
      expect({ file, unsafe }).toEqual({ file, unsafe: [] });
    }
  });

  it('runs `npm exec --no -- s3-ingest` in the checkout, as the README writes it, without the registry', async () => {
    const installed = lambdaNodeInstalled() ? statSync(LAMBDA_NODE_PATH) : undefined;
    const run = await runShell('npm exec --offline --no -- s3-ingest --help', REPO);
    expect(run.stdout).toContain('Usage: s3-ingest');
    expect(run.status).toBe(0);
    // npm runs the root's postinstall again here: Node.js 24 stays the file that environments run.
    if (installed) expect(statSync(LAMBDA_NODE_PATH).ino).toBe(installed.ino);
  }, 90_000);

  it('runs every one of them against a local stack', async () => {
    const failures: string[] = [];
    for (const command of documented) {
      const local = command
        .replaceAll('team-a-uploads', 'uploads')
        // A deployed stack named in an example is the local stack here.
        .replace(/ --stack-name \S+/, '')
        .replace(/\$S\b/, `--stack-file ${stackFile}`);
      const withTarget =
        command.includes('$S') || / --help\b/.test(command) ? local : `${local} --stack-file ${stackFile}`;
      const run = await runShell(withTarget);
      const awsOnly = AWS_ONLY.some((pattern) => pattern.test(command));
      const expected = awsOnly ? 2 : 0;
      const refusedLocally = /AWS only|has no backfill function/.test(run.stderr);
      if (run.status !== expected || hasStackTrace(run.stderr) || (awsOnly && !refusedLocally)) {
        failures.push(
          `${command}\n  exit ${run.status}: ${run.stderr.trim().split('\n').slice(-2).join(' | ')}`,
        );
      }
    }
    expect(failures).toEqual([]);
    // The redirections wrote results that parse.
    expect(JSON.parse(readFileSync(join(workDir, 'dlq.json'), 'utf8'))).toEqual(expect.any(Array));
    expect(readFileSync(join(workDir, 'rejected.csv'), 'utf8')).toMatch(/^eventTime,bucket,key,/);
  }, 240_000);
});
