// Item 9: schemathesis (pinned, installed by scripts/zaiko.mjs into a venv under the cache) fuzzes every
// operation of the OpenAPI document against the real api, as a logged-in merchant and as Smaregi (the
// webhook secret), with a bounded number of examples: no answer may be a 5xx.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OPERATOR_TOKEN, seedSmaregiContract, signUp, startStack, type Stack } from '../support/stack';

/** Examples per operation and phase: enough to reach the edges of every schema, bounded so `npm test` stays minutes. */
const MAX_EXAMPLES = 15;
const SEED = 20261206;

let stack: Stack;
let merchant: { tenantId: string; token: string };
let work: string;

before(async () => {
  stack = await startStack('sec_fuzz');
  await seedSmaregiContract(stack, { contractId: 'sb_fuzz_1', stores: [{ storeId: '1', storeName: '本店' }] });
  merchant = await signUp(stack, { email: 'fuzz@example.jp', smaregiContractId: 'sb_fuzz_1' });
  work = mkdtempSync(join(tmpdir(), 'zaiko-fuzz-'));
});
after(async () => {
  await stack?.close();
  rmSync(work, { recursive: true, force: true });
});

function schemathesis(args: string[]): Promise<{ code: number; output: string }> {
  const bin = process.env.SCHEMATHESIS_PATH;
  if (!bin) throw new Error('SCHEMATHESIS_PATH is not set: run the tests through `npm test` (scripts/zaiko.mjs installs schemathesis)');
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { cwd: work, env: { ...process.env, NO_COLOR: '1', SCHEMATHESIS_TELEMETRY: 'false' } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

const commonArgs = () => [
  'run',
  `${stack.apiUrl}/api/v1/openapi.json`,
  '--url',
  stack.apiUrl,
  '--checks',
  'not_a_server_error',
  '--max-examples',
  String(MAX_EXAMPLES),
  '--seed',
  String(SEED),
  '--workers',
  '2',
  '--generation-database',
  'none',
  '--request-timeout',
  '60',
  '--no-color',
];

/**
 * CPython 3.11 (the fuzzer's interpreter here) now and then raises "SystemError: AST constructor recursion
 * depth mismatch" inside hypothesis while it builds a strategy: a crash of the fuzzer (schemathesis counts it
 * as a runtime error), not a finding about the api. Such a run, with no server error found, runs once more.
 */
const FUZZER_CRASH = /SystemError: AST constructor recursion depth mismatch/;

async function fuzz(args: string[]): Promise<{ code: number; output: string }> {
  const first = await schemathesis(args);
  if (first.code === 0 || !FUZZER_CRASH.test(first.output) || /Server error/i.test(first.output)) return first;
  console.log('schemathesis crashed inside CPython (AST recursion depth mismatch); running it once more');
  return schemathesis(args);
}

/** Operations tested, from schemathesis's summary. */
const testedCount = (output: string) => Number(/Tested: (\d+)/.exec(output)?.[1] ?? 0);

test('schemathesis finds no server error in any documented operation', { timeout: 20 * 60_000 }, async () => {
  const { config } = stack.deps;
  const { code, output } = await fuzz([
    ...commonArgs(),
    '--phases',
    'examples,coverage,fuzzing',
    // Logging out would leave the rest of the run unauthenticated; logout is covered by the route matrix.
    '--exclude-method',
    'DELETE',
    '--header',
    `Authorization: Bearer ${merchant.token}`,
    '--header',
    `${config.SMAREGI_WEBHOOK_HEADER_NAME}: ${config.SMAREGI_WEBHOOK_HEADER_VALUE}`,
  ]);
  assert.equal(code, 0, output.slice(-12_000));
  assert.ok(testedCount(output) >= 25, output.slice(-3000));
});

test('…and none in the operator routes, with the operator token', { timeout: 10 * 60_000 }, async () => {
  const { code, output } = await fuzz([
    ...commonArgs(),
    '--include-path-regex',
    '^/(api/v1/operator|metrics)',
    '--phases',
    'coverage,fuzzing',
    '--header',
    `Authorization: Bearer ${OPERATOR_TOKEN}`,
  ]);
  assert.equal(code, 0, output.slice(-12_000));
  assert.ok(testedCount(output) >= 3, output.slice(-3000));
});
