import { accessSync, constants, statSync } from 'node:fs';

/** Where a Chromium usually is; DRIFTWATCH_CHROMIUM, when set, is tried first. Never a browser a tool downloads. */
const PLACES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Whether DRIFTWATCH_REQUIRE_BROWSER asks for a missing browser to fail the tests instead of skipping them. */
function browserRequired(env: NodeJS.ProcessEnv): boolean {
  const value = env.DRIFTWATCH_REQUIRE_BROWSER?.trim().toLowerCase() ?? '';
  return value !== '' && value !== '0' && value !== 'false';
}

/**
 * The Chromium that browser tests drive, or undefined when there is none; `what` names the tests in the message.
 * With no Chromium the reason is printed once and the caller skips its tests (`describe.skipIf(!chromium)`);
 * with DRIFTWATCH_REQUIRE_BROWSER=1 (as .ci/run sets) it throws instead, so the test file fails with the reason.
 */
export function findChromium(what: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const override = env.DRIFTWATCH_CHROMIUM?.trim();
  const places = override ? [override, ...PLACES] : PLACES;
  const found = places.find(executable);
  if (found) return found;
  const reason = `no Chromium at ${places.join(', ')} (apt-get install -y chromium, or set DRIFTWATCH_CHROMIUM=path)`;
  if (browserRequired(env)) throw new Error(`${what} failed (DRIFTWATCH_REQUIRE_BROWSER is set): ${reason}`);
  console.warn(`${what} skipped: ${reason}`);
  return undefined;
}
