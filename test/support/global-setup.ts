/**
 * Run once before the test files: the browser the editor's tests drive is ready (see chromium.ts),
 * and a PostgreSQL server is up for the store contracts and the multi-process tests (postgres.ts),
 * unless `LEADFLOW_TEST_DATABASE_URL` names one already. Workers inherit both through the environment.
 */
import { chromiumPath } from './chromium.ts';
import { startTestPostgres } from './postgres.ts';

export default async function setup(): Promise<() => Promise<void>> {
  const [chromium, postgres] = await Promise.all([
    chromiumPath(),
    process.env.LEADFLOW_TEST_DATABASE_URL ? undefined : startTestPostgres(),
  ]);
  process.env.LEADFLOW_TEST_CHROMIUM = chromium;
  if (postgres) process.env.LEADFLOW_TEST_DATABASE_URL = postgres.url;
  return async () => {
    await postgres?.stop();
  };
}
