/**
 * The audit log: who changed which flow, integration, offer, webmaster, source, key or user, who
 * moved a lead by hand, re-ran an execution or ran a test, newest first. Filters (actor, resource
 * type, resource id) are kept in the address; "Older" pages backwards. A row opens the change
 * field by field, before and after; secrets show as "set", never their values.
 */
import { useEffect, useState } from 'react';
import { AUDIT_RESOURCES, SYSTEM_ACTOR, type AuditEntry } from '../../../core/domain/audit.ts';
import { useAudit } from '../api/queries.ts';
import { notify } from '../app/notices.ts';
import { hrefOf, useHashQuery } from '../app/route.ts';
import { FilterSelect } from '../app/FilterSelect.tsx';
import { formatWhen } from '../canvas/look.ts';
import { auditDiff } from './diff.ts';

const PAGE = 50;

/** Where a resource is shown in the editor, when it is. */
function resourceHref(entry: AuditEntry): string | undefined {
  const id = encodeURIComponent(entry.resourceId);
  if (entry.action.endsWith('.delete')) return undefined;
  if (entry.resourceType === 'flow') return `#/flows/${id}`;
  if (entry.resourceType === 'integration') return `#/integrations/${id}`;
  if (entry.resourceType === 'lead') return `#/leads/${id}`;
  if (entry.resourceType === 'execution') return `#/log/${id}`;
  return undefined;
}

function Actor({ entry }: { entry: AuditEntry }) {
  if (!entry.actor) return <span className="lf-muted">system</span>;
  return (
    <span title={`${entry.actor.id} (${entry.actor.role})`}>
      {entry.actor.name} <span className="lf-muted">{entry.actor.role}</span>
    </span>
  );
}

/** The change, field by field; unchanged fields are listed too, dimmed, so the record reads whole. */
export function AuditChange({ entry }: { entry: AuditEntry }) {
  const fields = auditDiff(entry.before, entry.after);
  if (fields.length === 0) return <p className="lf-muted">No record attached{entry.note ? `: ${entry.note}` : ''}.</p>;
  return (
    <table className="lf-table lf-table--compact" data-testid="audit-diff">
      <thead>
        <tr>
          <th>field</th>
          <th>before</th>
          <th>after</th>
        </tr>
      </thead>
      <tbody>
        {fields.map((f) => (
          <tr key={f.path} data-changed={f.changed} className={f.changed ? undefined : 'lf-muted'}>
            <td className="lf-nowrap">
              <code>{f.path}</code>
            </td>
            <td>{f.before === undefined ? <span className="lf-muted">—</span> : f.before}</td>
            <td>{f.after === undefined ? <span className="lf-muted">—</span> : f.changed ? <strong>{f.after}</strong> : f.after}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function AuditPage() {
  const query = new URLSearchParams(useHashQuery());
  const actor = query.get('actor') ?? '';
  const resourceType = query.get('resourceType') ?? '';
  const resourceId = query.get('resourceId') ?? '';
  const before = Number(query.get('before')) || undefined;
  const [open, setOpen] = useState<number | undefined>(undefined);
  const [idDraft, setIdDraft] = useState(resourceId);
  const [actorDraft, setActorDraft] = useState(actor);
  const answer = useAudit({
    actor: actor || undefined,
    resourceType: (resourceType || undefined) as AuditEntry['resourceType'] | undefined,
    resourceId: resourceId || undefined,
    before,
    limit: PAGE,
  });
  const entries = answer.error ? [] : (answer.data ?? null);

  useEffect(() => {
    if (answer.error) notify('error', `Could not load the audit log: ${answer.error.message}`);
  }, [answer.error]);

  const filters = { actor, resourceType, resourceId };
  const go = (next: Partial<typeof filters>) => {
    location.hash = hrefOf('audit', { ...filters, ...next });
  };

  return (
    <div className="lf-page lf-page--wide" data-testid="audit-page">
      <div className="lf-page__head">
        <h1>Audit</h1>
        <span className="lf-toolbar__spacer" />
        <label className="lf-filter">
          <span className="lf-muted">Who</span>
          <input
            className="lf-input"
            value={actorDraft}
            placeholder={`user id or ${SYSTEM_ACTOR}`}
            size={12}
            onChange={(e) => setActorDraft(e.target.value)}
            onBlur={() => actorDraft !== actor && go({ actor: actorDraft.trim() })}
            onKeyDown={(e) => e.key === 'Enter' && go({ actor: actorDraft.trim() })}
            data-testid="filter-actor"
          />
        </label>
        <FilterSelect
          label="Resource"
          value={resourceType}
          choices={AUDIT_RESOURCES.map((r) => ({ value: r, label: r }))}
          onChange={(value) => go({ resourceType: value })}
          testId="filter-resource-type"
        />
        <label className="lf-filter">
          <span className="lf-muted">Id</span>
          <input
            className="lf-input"
            value={idDraft}
            size={10}
            onChange={(e) => setIdDraft(e.target.value)}
            onBlur={() => idDraft !== resourceId && go({ resourceId: idDraft.trim() })}
            onKeyDown={(e) => e.key === 'Enter' && go({ resourceId: idDraft.trim() })}
            data-testid="filter-resource-id"
          />
        </label>
        <button type="button" className="lf-btn" onClick={() => void answer.refetch()} title="Load the log again">
          ↻ Refresh
        </button>
      </div>
      <p className="lf-help lf-intro">
        Every change to the configuration and every sensitive action, with who made it and the record before and after. Secrets show as
        “set”, never their values; flows show their version numbers and what changed.
      </p>
      {entries === null ? (
        <p className="lf-muted">Loading…</p>
      ) : entries.length === 0 ? (
        <div className="lf-empty lf-muted">
          {actor || resourceType || resourceId || before ? 'No entries match these filters.' : 'Nothing has been recorded yet.'}
        </div>
      ) : (
        <table className="lf-table lf-table--compact lf-table--rows" data-testid="audit-entries">
          <thead>
            <tr>
              <th>time</th>
              <th>who</th>
              <th>action</th>
              <th>resource</th>
              <th>note</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((entry) => {
              const href = resourceHref(entry);
              const isOpen = open === entry.id;
              return [
                <tr
                  key={entry.id}
                  data-audit-id={entry.id}
                  data-action={entry.action}
                  aria-expanded={isOpen}
                  onClick={(e) => !(e.target as HTMLElement).closest('a') && setOpen(isOpen ? undefined : entry.id)}
                >
                  <td className="lf-nowrap">{formatWhen(entry.at)}</td>
                  <td>
                    <Actor entry={entry} />
                  </td>
                  <td>
                    <code>{entry.action}</code>
                  </td>
                  <td>
                    <span className="lf-muted">{entry.resourceType}</span> {href ? <a href={href}>{entry.resourceId}</a> : entry.resourceId}
                  </td>
                  <td>{entry.note}</td>
                </tr>,
                isOpen && (
                  <tr key={`${entry.id}-change`} className="lf-row--detail">
                    <td colSpan={5}>
                      <AuditChange entry={entry} />
                    </td>
                  </tr>
                ),
              ];
            })}
          </tbody>
        </table>
      )}
      <div className="lf-pager">
        {before !== undefined && (
          <a href={hrefOf('audit', filters)} className="lf-btn">
            ← Newest
          </a>
        )}
        {entries && entries.length === PAGE && (
          <a href={hrefOf('audit', { ...filters, before: entries[entries.length - 1].id })} className="lf-btn" data-testid="older">
            Older →
          </a>
        )}
      </div>
    </div>
  );
}
