/**
 * The integration page's two security sections: the postback URL with its token rotation (the old
 * token may keep working for a grace period, so the target can be given the new URL without losing
 * postbacks meanwhile), and the hosts its secrets may be sent to. Both change things only admins
 * and integrators may change; a viewer sees them read-only (and the server hides the token).
 */
import { useState } from 'react';
import type { IntegrationPatch, IntegrationView, PostbackTokenRotation } from '../api/client.ts';
import { useSession } from '../api/queries.ts';
import { useRotatePostbackToken } from '../api/mutations.ts';
import { formatWhen } from '../canvas/look.ts';
import { notify } from '../app/notices.ts';
import { SecretUrlField } from './SecretUrlField.tsx';

const GRACE_CHOICES: { minutes: number; label: string }[] = [
  { minutes: 0, label: 'stops at once' },
  { minutes: 60, label: 'works 1 more hour' },
  { minutes: 24 * 60, label: 'works 1 more day' },
  { minutes: 7 * 24 * 60, label: 'works 7 more days' },
];

/** Whether the logged-in user may change integrations (admins and integrators). */
function useMayChange(): boolean {
  const role = useSession().data?.user.role;
  return role === 'admin' || role === 'integrator';
}

export function PostbackUrlSection({ integration }: { integration: IntegrationView }) {
  const mayChange = useMayChange();
  const rotate = useRotatePostbackToken();
  const [grace, setGrace] = useState(60);
  // the rotation just made: its URL stays on screen until dismissed
  const [rotated, setRotated] = useState<PostbackTokenRotation | null>(null);
  const tail = integration.settings.postback_tail ?? '';
  // when the page opened: a grace that ends while it is open is still named (its time says it is over)
  const [openedAt] = useState(() => Date.now());
  const previousWorks = integration.previousTokenUntil && Date.parse(integration.previousTokenUntil) > openedAt;

  const doRotate = () => {
    if (grace === 0 && !window.confirm('Rotate with no grace period? Postbacks sent to the current URL are refused from now on.')) return;
    rotate.mutate(
      { id: integration.id, graceMinutes: grace },
      {
        onSuccess: (answer) => {
          setRotated(answer);
          notify('success', 'New postback token: give the new URL to the target');
        },
        onError: (error) => notify('error', `Could not rotate the token: ${error.message}`),
      },
    );
  };

  return (
    <section className="lf-box" data-testid="postback-url-section">
      <h2>Postback URL</h2>
      <p className="lf-muted">
        Give this address to the target for status postbacks. It carries this integration’s token, hidden until you choose “Show”; “Copy”
        copies it whole.
      </p>
      {tail ? (
        <>
          <p className="lf-help">With the tail of macros the target fills in for each lead (the setting postback_tail):</p>
          <SecretUrlField value={integration.postbackUrl + tail} label="Postback URL with macros" testId="postback-url" />
        </>
      ) : (
        <SecretUrlField value={integration.postbackUrl} label="Postback URL" testId="postback-url" />
      )}
      {previousWorks && (
        <p className="lf-help" data-testid="previous-token">
          The previous token still works until {formatWhen(integration.previousTokenUntil as string)}.
        </p>
      )}
      {rotated && (
        <div className="lf-box lf-box--ok" data-testid="rotated">
          <p>
            <b>New postback URL.</b>{' '}
            {rotated.previousTokenUntil
              ? `The old one works until ${formatWhen(rotated.previousTokenUntil)}: give this one to the target before then.`
              : 'The old one no longer works: give this one to the target now.'}
          </p>
          <SecretUrlField value={rotated.postbackUrl + tail} label="New postback URL" testId="rotated-postback-url" />
          <button type="button" className="lf-link-btn" onClick={() => setRotated(null)}>
            Done
          </button>
        </div>
      )}
      {mayChange && (
        <div className="lf-row">
          <label className="lf-muted">
            the old token{' '}
            <select
              className="lf-input"
              style={{ width: 'auto' }}
              value={grace}
              onChange={(e) => setGrace(Number(e.target.value))}
              data-testid="postback-grace"
            >
              {GRACE_CHOICES.map((c) => (
                <option key={c.minutes} value={c.minutes}>
                  {c.label}
                </option>
              ))}
            </select>
          </label>
          <button
            type="button"
            className="lf-btn lf-btn--small"
            disabled={rotate.isPending}
            onClick={doRotate}
            data-testid="rotate-postback-token"
          >
            Rotate postback token
          </button>
        </div>
      )}
    </section>
  );
}

/** The host of base_url, as the runtime takes it when allowedHosts is empty. */
function baseHost(baseUrl: string | undefined): string | undefined {
  if (!baseUrl) return undefined;
  try {
    return new URL(baseUrl).host.toLowerCase();
  } catch {
    return undefined;
  }
}

export function AllowedHostsSection({
  integration,
  patch,
}: {
  integration: IntegrationView;
  patch(body: IntegrationPatch, done?: string): Promise<boolean>;
}) {
  const mayChange = useMayChange();
  const saved = integration.allowedHosts ?? [];
  const [hosts, setHosts] = useState<string[]>(saved);
  // saved elsewhere (another tab, a refusal's refresh) shows here too
  const savedKey = JSON.stringify(saved);
  const [shown, setShown] = useState(savedKey);
  if (shown !== savedKey) {
    setShown(savedKey);
    setHosts(saved);
  }
  const cleaned = hosts.map((h) => h.trim()).filter(Boolean);
  const dirty = JSON.stringify(cleaned) !== savedKey;
  const base = baseHost(integration.settings.base_url);

  return (
    <section className="lf-box" data-testid="allowed-hosts">
      <h2>Allowed hosts</h2>
      <p className="lf-muted">
        A request that carries one of this integration’s secrets may go only to these hosts; any other is refused without being sent. An
        entry is <code>host</code> (any port), <code>host:port</code> (that port only) or <code>*.domain</code> (its subdomains). Empty:
        only the host of the <code>base_url</code> setting
        {base ? (
          <>
            {' '}
            (now <code>{base}</code>)
          </>
        ) : (
          ' (none is set, so secrets go nowhere)'
        )}
        .
      </p>
      {hosts.length === 0 && <p className="lf-help">No hosts listed: secrets go to the host of base_url only.</p>}
      {hosts.map((host, i) => (
        <div key={i} className="lf-kv__row">
          <input
            className="lf-input lf-input--mono"
            value={host}
            placeholder="api.crm.example.com"
            readOnly={!mayChange}
            onChange={(e) => setHosts(hosts.map((h, j) => (j === i ? e.target.value : h)))}
            aria-label={`Allowed host ${i + 1}`}
          />
          {mayChange && (
            <button
              type="button"
              className="lf-link-btn lf-danger"
              onClick={() => setHosts(hosts.filter((_, j) => j !== i))}
              aria-label={`Remove allowed host ${i + 1}`}
            >
              Remove
            </button>
          )}
        </div>
      ))}
      {mayChange && (
        <div className="lf-row">
          <button type="button" className="lf-btn lf-btn--small" onClick={() => setHosts([...hosts, ''])} data-testid="add-allowed-host">
            + Add host
          </button>
          <button
            type="button"
            className="lf-btn lf-btn--primary lf-btn--small"
            disabled={!dirty}
            onClick={() => void patch({ allowedHosts: cleaned }, 'Allowed hosts saved')}
            data-testid="save-allowed-hosts"
          >
            Save allowed hosts
          </button>
        </div>
      )}
    </section>
  );
}
