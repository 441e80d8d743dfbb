/**
 * Jobs: the durable work of the delivery queue — a lead to deliver for an event, an outgoing
 * postback to send — as the store keeps them and a lead's page shows them.
 */

export type JobKind = 'lead.new' | 'lead.update' | 'lead.approved' | 'postback.out';
export type JobState = 'queued' | 'running' | 'done' | 'failed';

/**
 * A unit of durable work: a lead to deliver, an outgoing postback to send. `key`, when set, is
 * unique: enqueueing the same key twice keeps one job (an outgoing postback is sent once per change).
 */
export interface Job {
  id: number;
  kind: JobKind;
  leadId?: number;
  integrationId?: string;
  key?: string;
  payload: Record<string, unknown>;
  state: JobState;
  attempts: number;
  /** When it may run (next retry), ISO time. */
  runAt: string;
  lastError?: string;
  createdAt: string;
  updatedAt: string;
}

/** One try to reach the tracker, as an outgoing postback job's `payload.attempts` keeps it. */
export interface PostbackAttempt {
  at: string;
  url: string;
  status?: number;
  error?: string;
  durationMs: number;
}
