/**
 * Where recurring work stopped: a status check's date-range checkpoints, one string per key.
 * (A delivery's own checkpoint is sealed into its job's payload: see `CheckpointSeal` in secret-box.ts.)
 */

/** Status-check checkpoints by key (a date-range check's is `range:<integration id>`). */
export interface CheckpointStore {
  /** Where a recurring piece of work stopped (a date-range check's last window end). */
  getCheckpoint(key: string): Promise<string | undefined>;
  /** Stores where it stopped, replacing the key's earlier value. */
  setCheckpoint(key: string, value: string): Promise<void>;
}
