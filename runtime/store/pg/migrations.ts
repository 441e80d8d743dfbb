/**
 * Every PostgreSQL backend module's migration steps, in one list for {@link migrate}. Each module
 * owns a range of versions: leads and the job queue 1–9 (schema-records.ts), the execution log,
 * audit and checkpoints 10–19, the configuration 20–29.
 */
import type { MigrationStep } from './migrate.ts';
import { RECORD_MIGRATIONS } from './schema-records.ts';

export const MIGRATIONS: readonly MigrationStep[] = [...RECORD_MIGRATIONS];
