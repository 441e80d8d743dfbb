/** Run once before the test files: the browser the editor's tests drive is ready (see chromium.ts). */
import { chromiumPath } from './chromium.ts';

export default async function setup(): Promise<void> {
  process.env.LEADFLOW_TEST_CHROMIUM = await chromiumPath();
}
