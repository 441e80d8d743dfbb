/**
 * Webmasters and sources. Webmasters (their postback URLs, the macros, test postbacks) are drawn by
 * WebmastersSection.tsx; below them, sources: who posts leads (a webmaster, or a network posting for its webmasters), the offers their
 * keys may post for, and their intake keys. A key is shown once, in the answer that made it (a new
 * source, a rotation): the runtime keeps only its hash, so this screen holds it until "Done" and
 * never again. Rotating may leave the old keys working for a grace period, so a poster can switch
 * without losing leads; revoking stops a key at once.
 */
import { useState } from 'react';
import type { SourceKind } from '../../../core/domain/config.ts';
import type { IssuedKey, SourceCreate, SourceView } from '../api/client.ts';
import { useOffers, useSources } from '../api/queries.ts';
import { useCreateSource, useDeleteSource, useRevokeSourceKey, useRotateSourceKey } from '../api/mutations.ts';
import { notify } from '../app/notices.ts';
import { CopyField } from '../app/CopyField.tsx';
import { formatWhen } from '../canvas/look.ts';
import { SendTestLead } from './SendTestLead.tsx';
import { WebmastersSection } from './WebmastersSection.tsx';

/** How long the keys a rotation replaces keep working. */
const GRACE_CHOICES: { seconds: number; label: string }[] = [
  { seconds: 0, label: 'stop at once' },
  { seconds: 3600, label: 'work 1 more hour' },
  { seconds: 86_400, label: 'work 1 more day' },
  { seconds: 7 * 86_400, label: 'work 7 more days' },
];

export function SourcesPage() {
  const sources = useSources();
  const [creating, setCreating] = useState(false);
  // the key just issued: shown until dismissed, then gone for good
  const [issued, setIssued] = useState<{ sourceId: string; value: string } | null>(null);
  const show = (answer: IssuedKey) => setIssued({ sourceId: answer.source.id, value: answer.key });

  return (
    <div className="lf-page lf-page--wide" data-testid="sources-page">
      <h1>Webmasters and sources</h1>
      <WebmastersSection sources={sources.data ?? []} />
      <div className="lf-page__head">
        <h2>Sources and their intake keys</h2>
        <span className="lf-toolbar__spacer" />
        {!creating && (
          <button type="button" className="lf-btn lf-btn--primary" onClick={() => setCreating(true)} data-testid="new-source">
            New source
          </button>
        )}
      </div>
      <p className="lf-muted">
        Each source posts leads to <code>POST /api/leads</code> with its key, in the <code>X-Api-Key</code> header or the{' '}
        <code>api_key</code> query parameter, for the offers it is allowed. A webmaster source&apos;s leads are always its webmaster&apos;s.
      </p>
      {issued && <IssuedKeyBox {...issued} onDone={() => setIssued(null)} />}
      {creating && (
        <NewSource
          onCreated={(answer) => {
            setCreating(false);
            show(answer);
          }}
          onCancel={() => setCreating(false)}
        />
      )}
      {sources.error ? (
        <p className="lf-danger">Could not load the sources: {sources.error.message}</p>
      ) : !sources.data ? (
        <p className="lf-muted">Loading…</p>
      ) : sources.data.length === 0 ? (
        <div className="lf-empty lf-muted">No sources yet: nobody can post leads until one is made.</div>
      ) : (
        <table className="lf-table lf-table--compact" data-testid="sources">
          <thead>
            <tr>
              <th>source</th>
              <th>kind</th>
              <th>webmaster</th>
              <th>offers</th>
              <th>keys</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {sources.data.map((source) => (
              <SourceRow key={source.id} source={source} onIssued={show} />
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

/** The key just made, with a Copy button: the one time it can be seen. */
function IssuedKeyBox({ sourceId, value, onDone }: { sourceId: string; value: string; onDone(): void }) {
  return (
    <section className="lf-box lf-box--warn" data-testid="issued-key">
      <p>
        <strong>The intake key of “{sourceId}”.</strong> Copy it now: it is shown only this once, and the runtime keeps only a hash of it.
      </p>
      <CopyField value={value} label="Intake key" testId="issued-key-value" copyTestId="copy-key">
        <button type="button" className="lf-btn lf-btn--small" onClick={onDone} data-testid="key-done">
          Done
        </button>
      </CopyField>
    </section>
  );
}

function NewSource({ onCreated, onCancel }: { onCreated(answer: IssuedKey): void; onCancel(): void }) {
  const offers = useOffers().data ?? [];
  const create = useCreateSource();
  const [id, setId] = useState('');
  const [name, setName] = useState('');
  const [kind, setKind] = useState<SourceKind>('webmaster');
  const [webmaster, setWebmaster] = useState('');
  const [webmasters, setWebmasters] = useState('');
  const [allOffers, setAllOffers] = useState(false);
  const [picked, setPicked] = useState<string[]>([]);

  const submit = () => {
    const listed = webmasters
      .split(/[\s,]+/)
      .map((w) => w.trim())
      .filter(Boolean);
    const body: SourceCreate = {
      id: id.trim(),
      ...(name.trim() && { name: name.trim() }),
      kind,
      ...(kind === 'webmaster' ? { webmaster: webmaster.trim() } : listed.length ? { webmasters: listed } : {}),
      offers: allOffers ? '*' : picked,
    };
    create.mutate(body, {
      onSuccess: onCreated,
      onError: (error) => notify('error', `Could not create the source: ${error.message}`),
    });
  };

  return (
    <section className="lf-box" data-testid="source-form">
      <h2>New source</h2>
      <div className="lf-row lf-row--two">
        <label>
          Id
          <input className="lf-input" value={id} onChange={(e) => setId(e.target.value)} placeholder="wm17" data-testid="source-id" />
        </label>
        <label>
          Name
          <input className="lf-input" value={name} onChange={(e) => setName(e.target.value)} data-testid="source-name" />
        </label>
      </div>
      <fieldset className="lf-fieldset">
        <legend>Who posts</legend>
        <label className="lf-check">
          <input type="radio" checked={kind === 'webmaster'} onChange={() => setKind('webmaster')} data-testid="kind-webmaster" /> A
          webmaster: every lead is this webmaster&apos;s
        </label>
        <label className="lf-check">
          <input type="radio" checked={kind === 'network'} onChange={() => setKind('network')} data-testid="kind-network" /> A network
          posting for its webmasters: each lead names its <code>wm</code>
        </label>
        {kind === 'webmaster' ? (
          <label>
            Webmaster id
            <input className="lf-input" value={webmaster} onChange={(e) => setWebmaster(e.target.value)} data-testid="source-webmaster" />
          </label>
        ) : (
          <label>
            Webmasters it may post for (empty: any)
            <input
              className="lf-input"
              value={webmasters}
              onChange={(e) => setWebmasters(e.target.value)}
              placeholder="wm1, wm2"
              data-testid="source-webmasters"
            />
          </label>
        )}
      </fieldset>
      <fieldset className="lf-fieldset" data-testid="source-offers">
        <legend>Offers its key may post for</legend>
        <label className="lf-check">
          <input type="checkbox" checked={allOffers} onChange={(e) => setAllOffers(e.target.checked)} data-testid="all-offers" /> Every
          offer, present and future
        </label>
        {!allOffers &&
          offers.map((offer) => (
            <label key={offer.id} className="lf-check" data-offer-id={offer.id}>
              <input
                type="checkbox"
                checked={picked.includes(offer.id)}
                onChange={(e) => setPicked(e.target.checked ? [...picked, offer.id] : picked.filter((o) => o !== offer.id))}
              />{' '}
              {offer.name} <span className="lf-muted">({offer.id})</span>
            </label>
          ))}
      </fieldset>
      <div className="lf-actions">
        <button type="button" className="lf-btn lf-btn--primary" onClick={submit} disabled={create.isPending} data-testid="create-source">
          Create and show the key
        </button>
        <button type="button" className="lf-btn" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </section>
  );
}

function SourceRow({ source, onIssued }: { source: SourceView; onIssued(answer: IssuedKey): void }) {
  const rotate = useRotateSourceKey();
  const revoke = useRevokeSourceKey();
  const remove = useDeleteSource();
  const [grace, setGrace] = useState(0);
  const failed = (what: string) => (error: Error) => notify('error', `Could not ${what}: ${error.message}`);

  return (
    <tr data-source-id={source.id}>
      <td>
        <strong>{source.id}</strong>
        {source.name && <div className="lf-muted">{source.name}</div>}
      </td>
      <td>{source.kind}</td>
      <td>
        {source.kind === 'webmaster' ? (
          <code>{source.webmaster}</code>
        ) : source.webmasters?.length ? (
          source.webmasters.join(', ')
        ) : (
          <span className="lf-muted">any</span>
        )}
      </td>
      <td>{source.offers === '*' ? <span className="lf-muted">every offer</span> : source.offers.join(', ') || '—'}</td>
      <td data-testid="source-keys">
        {source.keys.length === 0 && <span className="lf-warn">no key: cannot post</span>}
        {source.keys.map((k) => (
          <div key={k.id} className="lf-nowrap" data-key-id={k.id}>
            <code>{k.hint}…</code> <span className="lf-muted">since {formatWhen(k.created_at)}</span>
            {k.expires_at && <span className="lf-pill lf-pill--warn">until {formatWhen(k.expires_at)}</span>}{' '}
            <button
              type="button"
              className="lf-link-btn"
              onClick={() => {
                if (!confirm(`Revoke key ${k.hint}… of “${source.id}”? Leads posted with it are refused from now on.`)) return;
                revoke.mutate({ id: source.id, keyId: k.id }, { onError: failed('revoke the key') });
              }}
              data-testid="revoke-key"
            >
              revoke
            </button>
          </div>
        ))}
      </td>
      <td className="lf-nowrap">
        <label className="lf-muted">
          old keys{' '}
          <select
            className="lf-input"
            style={{ width: 'auto' }}
            value={grace}
            onChange={(e) => setGrace(Number(e.target.value))}
            data-testid="rotate-grace"
          >
            {GRACE_CHOICES.map((c) => (
              <option key={c.seconds} value={c.seconds}>
                {c.label}
              </option>
            ))}
          </select>
        </label>{' '}
        <button
          type="button"
          className="lf-btn lf-btn--small"
          disabled={rotate.isPending}
          onClick={() => rotate.mutate({ id: source.id, graceSeconds: grace }, { onSuccess: onIssued, onError: failed('rotate the key') })}
          data-testid="rotate-key"
        >
          Rotate key
        </button>{' '}
        <button
          type="button"
          className="lf-btn lf-btn--small"
          onClick={() => {
            if (!confirm(`Delete source “${source.id}”? Its keys stop working at once.`)) return;
            remove.mutate(source.id, { onError: failed('delete the source') });
          }}
          data-testid="delete-source"
        >
          Delete
        </button>
        {source.keys.length > 0 && <SendTestLead sourceId={source.id} />}
      </td>
    </tr>
  );
}
