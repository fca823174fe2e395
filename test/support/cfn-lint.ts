import { execFile, execFileSync } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';

// AWS's CloudFormation linter, for the tests that check synthesized templates with it.

/** cfn-lint: CFN_LINT_PATH, the PATH's, or pyenv's shim where a shell without pyenv's set-up runs the tests. */
export const CFN_LINT =
  process.env.CFN_LINT_PATH ??
  ['cfn-lint', join(homedir(), '.pyenv/shims/cfn-lint')].find((candidate) => versionOf(candidate)) ??
  'cfn-lint';

function versionOf(command: string): string | undefined {
  try {
    return execFileSync(command, ['--version'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return undefined;
  }
}

/** cfn-lint's version, or undefined when it is not installed. */
export const CFN_LINT_VERSION = versionOf(CFN_LINT);

/**
 * Warnings left in, each with the reason. Errors are never allowed.
 */
export const ALLOWED_WARNINGS: Readonly<Record<string, string>> = {
  W3005:
    "aws-cdk-lib adds DependsOn on a Lambda function's role (and its default policy) although Role is a GetAtt of it: " +
    'the DependsOn also waits for the policy, so the function never starts without its permissions; CloudFormation accepts the redundancy',
};

export interface Finding {
  readonly Filename: string;
  readonly Level: string;
  readonly Message: string;
  readonly Rule: { readonly Id: string };
  readonly Location: { readonly Path: readonly (string | number)[] };
}

/** cfn-lint's findings over `files`, in one run (its start-up is most of its time). */
export function lint(files: readonly string[]): Promise<Finding[]> {
  return new Promise((resolve, reject) => {
    execFile(
      CFN_LINT,
      ['--format', 'json', ...files],
      { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 },
      (error, stdout) => {
        // cfn-lint exits non-zero when it finds anything; its JSON says what.
        try {
          resolve(JSON.parse(stdout || '[]') as Finding[]);
        } catch {
          reject(error ?? new Error(`cfn-lint printed no JSON: ${stdout}`));
        }
      },
    );
  });
}

/** The errors, and warnings not in {@link ALLOWED_WARNINGS}, of one file, one line each. */
export function unexplainedFindings(findings: readonly Finding[], file: string): string[] {
  return findings
    .filter((finding) => finding.Filename === file)
    .filter((finding) => finding.Level === 'Error' || !(finding.Rule.Id in ALLOWED_WARNINGS))
    .map(
      (finding) =>
        `${finding.Level} ${finding.Rule.Id} at ${finding.Location.Path.join('/')}: ${finding.Message}`,
    );
}
