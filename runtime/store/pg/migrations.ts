/**
 * Every PostgreSQL backend module's migration steps, in one list for {@link migrate}. Each module
 * owns a range of versions: leads and the job queue 1–9 (schema-records.ts), the execution log,
 * audit and checkpoints 10–19, the configuration 20–29, what the runtime processes coordinate
 * (rate and concurrency slots, node tokens) 30–39.
 */
import type { MigrationStep } from './migrate.ts';
import { CONFIG_MIGRATIONS } from './schema-config.ts';
import { COORDINATION_MIGRATIONS } from './schema-coordination.ts';
import { LOG_MIGRATIONS } from './schema-log.ts';
import { RECORD_MIGRATIONS } from './schema-records.ts';

export const MIGRATIONS: readonly MigrationStep[] = [
  ...RECORD_MIGRATIONS,
  ...LOG_MIGRATIONS,
  ...CONFIG_MIGRATIONS,
  ...COORDINATION_MIGRATIONS,
];
