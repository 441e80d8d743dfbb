/**
 * Which Chromium the browser tests drive: `LEADFLOW_TEST_CHROMIUM` when set, Debian's
 * `/usr/bin/chromium` when installed, else the one `npm install` brought inside
 * `@sparticuz/chromium` (its binary ships in the package, so a machine with only Node and npm
 * runs the browser tests too). The bundled one is unpacked once, by the global setup, before any
 * test file asks for it: several workers unpacking it at once would race on the same folder.
 */
import { existsSync } from 'node:fs';

const SYSTEM_CHROMIUM = '/usr/bin/chromium';

/** The path to launch; unpacks the bundled browser when neither of the others is there. */
export async function chromiumPath(): Promise<string> {
  const given = process.env.LEADFLOW_TEST_CHROMIUM;
  if (given) return given;
  if (existsSync(SYSTEM_CHROMIUM)) return SYSTEM_CHROMIUM;
  const { default: bundled } = await import('@sparticuz/chromium');
  return bundled.executablePath();
}
