// Twilio's own Python SDK (PyPI `twilio`, in the virtual environment target/venv-twilio that
// `scripts/setup.sh twilio` makes) against the worker's Twilio Verify v2 API on workerd:
// starts the worker (worker.mjs) and runs python_sdk.py once with that venv's Python, which
// prints one JSON line per scenario; each scenario is reported here as a test of its own,
// failing with the Python traceback.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { ACME, GLOBEX, INITECH, startTwilioWorker } from './worker.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const python = `${root}target/venv-twilio/bin/python`;
const script = fileURLToPath(new URL('python_sdk.py', import.meta.url));
const env = { ...process.env, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' };
// A proxy from the environment would take the SDK's requests to 127.0.0.1 elsewhere.
for (const name of ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'all_proxy']) delete env[name];

/** The scenarios' names (python_sdk.py --list), or why there are none. */
function scenarioNames() {
  if (!existsSync(python)) return { missing: 'missing tool: target/venv-twilio (bash scripts/setup.sh twilio installs Twilio\'s Python SDK)' };
  const listed = spawnSync(python, [script, '--list'], { env, encoding: 'utf8', timeout: 60_000 });
  if (listed.status !== 0) return { error: `python_sdk.py --list exited ${listed.status}: ${listed.stderr}` };
  return { names: JSON.parse(listed.stdout) };
}

const { names, missing, error } = scenarioNames();

if (missing) {
  test('Twilio\'s Python SDK against the worker', { skip: missing }, () => {});
} else if (error) {
  test('Twilio\'s Python SDK: python_sdk.py lists its scenarios', () => assert.fail(error));
} else {
  describe('Twilio\'s Python SDK (twilio on PyPI) through the README\'s recipe', () => {
    let worker;
    const results = new Map();
    const reported = [];
    let run;
    before(async () => {
      worker = await startTwilioWorker();
      const settings = {
        url: worker.url,
        inbox: worker.inboxUrl,
        acme: ACME,
        globex: GLOBEX,
        initech: INITECH,
      };
      run = await new Promise((resolve) => {
        const child = spawn(python, [script], { env: { ...env, SMSOTP_TWILIO_TEST: JSON.stringify(settings) } });
        // Each request has a 30 s timeout; the whole run takes a few seconds.
        const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (chunk) => (stdout += chunk));
        child.stderr.on('data', (chunk) => (stderr += chunk));
        child.on('close', (code, signal) => {
          clearTimeout(timer);
          resolve({ code, signal, stdout, stderr });
        });
      });
      for (const line of run.stdout.split('\n').filter(Boolean)) {
        let result;
        try {
          result = JSON.parse(line);
        } catch {
          continue; // not a result line (e.g. something a library printed)
        }
        if (result && typeof result.name === 'string') {
          reported.push(result.name);
          results.set(result.name, result);
        }
      }
    });
    after(async () => {
      await worker?.dispose();
    });

    for (const name of names) {
      test(name, () => {
        const result = results.get(name);
        assert.ok(result, `python_sdk.py reported nothing for this scenario (exit ${run?.code ?? '?'}${run?.signal ? `, ${run.signal}` : ''}):\n${run?.stderr ?? ''}`);
        assert.ok(result.ok, result.error);
      });
    }

    test('python_sdk.py ran to its end and reported every scenario once', () => {
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(reported, names);
    });
  });
}
