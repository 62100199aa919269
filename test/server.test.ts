/**
 * The entry point's start-up output: what an operator is warned about before the first request, on the
 * console (stderr) and in the log, for a real service listening on loopback.
 */
import { startService } from '../src/server';

const SMART_WARNING = 'WARNING: No FHIR server is allowed for the SMART app';

/** Starts the service with `env`, stops it, and returns what it wrote to stderr meanwhile. */
async function stderrOfStart(env: NodeJS.ProcessEnv): Promise<string> {
  const written: string[] = [];
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
    return true;
  });
  try {
    const running = await startService({ PORT: '0', HOST: '127.0.0.1', DATABASE_PATH: ':memory:', LOG_LEVEL: 'silent', ...env }, () => undefined);
    await running.close();
  } finally {
    spy.mockRestore();
  }
  return written.join('');
}

describe('start-up warnings', () => {
  test.each([
    { name: 'no SMART_* setting and no ALLOWED_FHIR_SERVERS', env: { DEMO: 'off' }, warned: true },
    { name: 'SMART_ALLOWED_ISS set', env: { DEMO: 'off', SMART_ALLOWED_ISS: 'https://fhir.example/r4' }, warned: false },
    { name: 'SMART_STANDALONE_ISS set', env: { DEMO: 'off', SMART_STANDALONE_ISS: 'https://fhir.example/r4' }, warned: false },
    { name: 'ALLOWED_FHIR_SERVERS set', env: { ALLOWED_FHIR_SERVERS: 'https://fhir.example/r4' }, warned: false },
    { name: 'nothing set, so that the demo runs and configures the app itself', env: {}, warned: false },
  ])('with $name, the SMART app warning on stderr is $warned', async ({ env, warned }) => {
    const stderr = await stderrOfStart(env);
    expect(stderr.includes(SMART_WARNING)).toBe(warned);
    if (warned) expect(stderr).toMatch(/Set SMART_ALLOWED_ISS to the FHIR base URL/);
  });
});
