/**
 * The operator's data tool: the leads of a filter as CSV, read from the store page by page so the
 * file is never built in memory, and a lead's whole story (fields, history, deliveries and
 * handoffs, every run with its steps) as one JSON document. Both mask every integration secret by
 * value and are recorded in the audit log.
 */
import type { ConfigStore, ExecutionLog } from '../store/types.ts';
import type { LeadListItem, LeadPage, LeadQuery } from '../../core/api.ts';
import { Redactor } from '../engine/redact.ts';
import { NO_AUDIT, type AuditRecorder } from './audit.ts';
import type { LeadService } from './leads.ts';
import type { SessionUser } from '../../core/domain/user.ts';

/** Leads read from the store per page of the export. */
const EXPORT_PAGE = 500;

/** The runs a story holds at most (the newest). */
const STORY_RUNS = 500;

/** The CSV's columns: a header and how each lead fills it. */
const COLUMNS: [string, (lead: LeadListItem) => unknown][] = [
  ['id', (l) => l.id],
  ['created_at', (l) => l.created_at],
  ['updated_at', (l) => l.updated_at],
  ['stage', (l) => l.stage],
  ['delivery', (l) => l.delivery],
  ['integration', (l) => l.integration],
  ['offer', (l) => l.offer],
  ['webmaster', (l) => l.wm],
  ['source', (l) => l.source],
  ['name', (l) => l.name],
  ['phone', (l) => l.phone],
  ['phone_e164', (l) => l.phoneE164],
  ['email', (l) => l.email],
  ['country', (l) => l.country],
  ['external_id', (l) => l.eid],
  ['status', (l) => l.status],
  ['reason', (l) => l.reason],
  ['status_comment', (l) => l.statusComment],
  ['payout', (l) => l.payout],
  ['subid', (l) => l.subid],
  ['order_id', (l) => l.order_id],
];

/**
 * One CSV cell (RFC 4180): quoted when it holds a comma, a quote, a line break or edge spaces,
 * quotes doubled. Text starting with `=`, `+`, `-`, `@` (or a tab or carriage return) gets a `'`
 * first, so a spreadsheet shows it instead of running it as a formula.
 * @example csvCell('=HYPERLINK("x")') // `"'=HYPERLINK(""x"")"`
 */
export function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  let text = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A CSV line of cells, ended by CRLF. */
export function csvLine(cells: readonly unknown[]): string {
  return `${cells.map(csvCell).join(',')}\r\n`;
}

function masked(redactor: Redactor, value: unknown): unknown {
  return typeof value === 'string' ? redactor.text(value) : value;
}

export class LeadExport {
  constructor(
    private readonly config: ConfigStore,
    private readonly store: ExecutionLog,
    private readonly leads: LeadService,
    private readonly audit: AuditRecorder = NO_AUDIT,
  ) {}

  /**
   * The CSV of the leads a filter selects, newest first, line by line: the header, then each page
   * of leads read from the store only when the consumer asks for more (the route writes with
   * backpressure). Secrets are masked by value; the export is recorded once, before its first line.
   */
  async *csv(query: LeadQuery, actor?: SessionUser): AsyncGenerator<string> {
    const { cursor: _cursor, limit: _limit, ...filter } = query;
    await this.audit.record({ action: 'lead.export', resourceType: 'lead', resourceId: '*', after: { filter }, note: 'CSV export', actor });
    const redactor = await this.allSecrets();
    yield csvLine(COLUMNS.map(([name]) => name));
    let cursor: string | undefined;
    for (;;) {
      const page = await this.leads.list({ ...filter, cursor, limit: EXPORT_PAGE });
      let chunk = '';
      for (const lead of page.leads) {
        // masked cell by cell, before quoting doubles a quote a secret may hold
        chunk += csvLine(COLUMNS.map(([, cell]) => masked(redactor, cell(lead))));
      }
      if (chunk) yield chunk;
      if (!page.next) return;
      cursor = page.next;
    }
  }

  /**
   * A lead's whole story: its fields, history, deliveries and handoffs, and every run linked to it
   * with its steps; each integration's secrets masked by value wherever they appear. Recorded in
   * the audit log.
   * @throws DomainError `not_found` (field `id`) when there is no such lead.
   */
  async story(id: number, actor?: SessionUser): Promise<LeadStory> {
    const view = await this.leads.view(id);
    const executions = await this.store.listExecutions({ leadId: id, limit: STORY_RUNS });
    await this.audit.record({ action: 'lead.export-story', resourceType: 'lead', resourceId: String(id), note: 'story JSON', actor });
    const story: LeadStory = { exportedAt: new Date().toISOString(), ...view, executions };
    return (await this.allSecrets()).value(story);
  }

  /** Every integration's secrets: a lead's story or a CSV may meet any integration it was handed to. */
  private async allSecrets(): Promise<Redactor> {
    const integrations = await this.config.listIntegrations();
    return new Redactor(integrations.flatMap((integration) => Object.values(integration.secrets ?? {})));
  }
}

/** The JSON of `GET /api/leads/:id/story`: the lead's page, every run linked to it, and when it was exported. */
export type LeadStory = LeadPage & { exportedAt: string };
