/** The dashboard's two tables: time to first status per integration, and the status checks' last runs. */
import type { DashboardCheck, FirstStatusTime } from '../../../core/domain/dashboard.ts';
import { FIRST_STATUS_SAMPLE } from '../../../core/domain/dashboard.ts';

/** Seconds as a person reads a wait: 42 s, 7 min, 3.5 h, 2.1 days. */
export function formatWait(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86_400) return `${Math.round(seconds / 360) / 10} h`;
  return `${Math.round(seconds / 8640) / 10} days`;
}

export function FirstStatusTable({ rows }: { rows: FirstStatusTime[] }) {
  return (
    <section className="lf-section" data-testid="first-status">
      <h2>Time to first status</h2>
      <p className="lf-muted lf-small">
        Median time from intake to the target’s first verdict (hold, approve, cancel or trash), over the newest {FIRST_STATUS_SAMPLE} leads
        that got one in the range.
      </p>
      {rows.length === 0 ? (
        <p className="lf-muted">No integration yet.</p>
      ) : (
        <table className="lf-table lf-table--compact">
          <thead>
            <tr>
              <th>Integration</th>
              <th className="lf-num">Median</th>
              <th className="lf-num">Leads</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.integration}>
                <td>{row.integration}</td>
                <td className="lf-num">{row.medianSeconds === null ? '—' : formatWait(row.medianSeconds)}</td>
                <td className="lf-num">{row.leads}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

const CHECK_NAMES: Record<string, string> = {
  'status.processing': 'leads in processing',
  'status.approved': 'approved leads',
  'status.range': 'changes by date',
};

export function DashboardChecks({ checks }: { checks: DashboardCheck[] }) {
  return (
    <section className="lf-section" data-testid="dashboard-checks">
      <h2>Status checks</h2>
      {checks.length === 0 ? (
        <p className="lf-muted">No status check is scheduled.</p>
      ) : (
        <table className="lf-table lf-table--compact">
          <thead>
            <tr>
              <th>Integration</th>
              <th>Check</th>
              <th>Last run</th>
              <th>Result</th>
              <th>Next</th>
            </tr>
          </thead>
          <tbody>
            {checks.map((check) => (
              <tr key={`${check.integration} ${check.event}`}>
                <td>{check.integration}</td>
                <td>{CHECK_NAMES[check.event] ?? check.event}</td>
                <td>
                  {check.running
                    ? 'running now'
                    : check.last
                      ? new Date(check.last.startedAt).toLocaleString([], { timeZoneName: 'short' })
                      : 'not yet'}
                </td>
                <td className={check.last?.error ? 'lf-cell-error' : ''}>
                  {check.last
                    ? check.last.error
                      ? `failed: ${check.last.error}`
                      : `${check.last.leads} leads asked, ${check.last.runs} runs`
                    : '—'}
                </td>
                <td>{check.next ? new Date(check.next).toLocaleTimeString([], { timeZoneName: 'short' }) : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
