/**
 * Webmasters: where each one's tracker takes postbacks — a general URL and, per stream (the lead's
 * `flow`), URLs that replace it — with the macros listed beside, the intake keys of the sources
 * that post as him, and "Send a test postback" to try a URL against the tracker before leads go.
 */
import { useRef, useState } from 'react';
import type { SourceView } from '../../../core/api.ts';
import type { Webmaster } from '../../../core/domain/config.ts';
import { unknownMacros } from '../../../core/domain/postback-macros.ts';
import { KeyValueRows, type KeyValueRow } from '../app/KeyValueRows.tsx';
import { notify } from '../app/notices.ts';
import { formatWhen } from '../canvas/look.ts';
import { MacroList } from './MacroList.tsx';
import { TestPostback } from './TestPostback.tsx';
import { useDeleteWebmaster, useSaveWebmaster, useWebmasters } from './webmaster-queries.ts';
import './webmasters.css';

/** The URL field last used, where a clicked macro goes. */
type UrlField = { input: HTMLInputElement; set(value: string): void };

export function WebmastersSection({ sources }: { sources: SourceView[] }) {
  const webmasters = useWebmasters();
  const [creating, setCreating] = useState(false);
  const lastField = useRef<UrlField | null>(null);
  const focus = (field: UrlField) => (lastField.current = field);
  const pick = (macro: string) => {
    const field = lastField.current;
    if (!field) return notify('error', 'Click in a postback URL field first, then on the macro');
    const { input } = field;
    const at = input.selectionStart ?? input.value.length;
    const end = input.selectionEnd ?? at;
    field.set(input.value.slice(0, at) + macro + input.value.slice(end));
    requestAnimationFrame(() => {
      input.focus();
      input.setSelectionRange(at + macro.length, at + macro.length);
    });
  };

  return (
    <section data-testid="webmasters-section">
      <div className="lf-page__head">
        <h2>Webmasters and their postback URLs</h2>
        <span className="lf-toolbar__spacer" />
        {!creating && (
          <button type="button" className="lf-btn lf-btn--primary" onClick={() => setCreating(true)} data-testid="new-webmaster">
            New webmaster
          </button>
        )}
      </div>
      <p className="lf-muted lf-intro">
        When a lead&apos;s stage changes, the runtime calls its webmaster&apos;s tracker at the postback URL, with the macros filled in from
        the lead. A stream&apos;s own URL replaces the general one for that stream&apos;s leads.
      </p>
      <div className="lf-webmasters">
        <div className="lf-webmasters__list">
          {creating && <WebmasterForm isNew onDone={() => setCreating(false)} onUrlFocus={focus} sources={sources} />}
          {webmasters.error ? (
            <p className="lf-danger">Could not load the webmasters: {webmasters.error.message}</p>
          ) : !webmasters.data ? (
            <p className="lf-muted">Loading…</p>
          ) : webmasters.data.length === 0 && !creating ? (
            <div className="lf-empty lf-muted" data-testid="no-webmasters">
              No webmasters yet: add one to send his tracker postbacks.
            </div>
          ) : (
            webmasters.data.map((w) => <WebmasterForm key={w.id} webmaster={w} onUrlFocus={focus} sources={sources} />)
          )}
        </div>
        <MacroList onPick={pick} />
      </div>
    </section>
  );
}

interface FormProps {
  webmaster?: Webmaster;
  isNew?: boolean;
  onDone?(): void;
  onUrlFocus(field: UrlField): void;
  sources: SourceView[];
}

const rowsOf = (urls: Record<string, string> | undefined): KeyValueRow<string>[] =>
  Object.entries(urls ?? {}).map(([key, value]) => ({ key, value }));

function WebmasterForm({ webmaster, isNew = false, onDone, onUrlFocus, sources }: FormProps) {
  const save = useSaveWebmaster();
  const remove = useDeleteWebmaster();
  const [id, setId] = useState(webmaster?.id ?? '');
  const [name, setName] = useState(webmaster?.name ?? '');
  const [url, setUrl] = useState(webmaster?.postbackUrl ?? '');
  const [streams, setStreams] = useState<KeyValueRow<string>[]>(rowsOf(webmaster?.streamPostbackUrls));
  const [fieldError, setFieldError] = useState<{ field?: string; message: string } | null>(null);

  const draft: Webmaster = {
    id: id.trim(),
    ...(name.trim() && { name: name.trim() }),
    postbackUrl: url.trim(),
    ...(streams.some((r) => r.key.trim()) && {
      streamPostbackUrls: Object.fromEntries(streams.filter((r) => r.key.trim()).map((r) => [r.key.trim(), r.value.trim()])),
    }),
  };
  const changed = isNew || !webmaster || comparable(draft) !== comparable(webmaster);
  const typos = [...new Set([url, ...streams.map((r) => r.value)].flatMap(unknownMacros))];
  const keysOf = sources.filter((s) => (s.kind === 'webmaster' ? s.webmaster === draft.id : s.webmasters?.includes(draft.id)));

  const submit = () => {
    setFieldError(null);
    save.mutate(
      { webmaster: draft, isNew },
      {
        onSuccess: () => {
          notify('success', `Saved webmaster “${draft.id}”`);
          onDone?.();
        },
        onError: (error) => {
          const field = (error as { field?: string }).field;
          setFieldError({ field, message: error.message });
        },
      },
    );
  };
  const urlField = (input: HTMLInputElement | null, set: (value: string) => void) => input && onUrlFocus({ input, set });

  return (
    <section className="lf-box lf-webmaster" data-webmaster-id={webmaster?.id ?? 'new'} data-testid={isNew ? 'webmaster-form' : undefined}>
      <div className="lf-row">
        {isNew ? (
          <div className="lf-row lf-row--two lf-grow">
            <label>
              Webmaster id
              <input
                className="lf-input"
                value={id}
                onChange={(e) => setId(e.target.value)}
                placeholder="wm17"
                data-testid="webmaster-id"
              />
            </label>
            <label>
              Name
              <input className="lf-input" value={name} onChange={(e) => setName(e.target.value)} data-testid="webmaster-name" />
            </label>
          </div>
        ) : (
          <h3 className="lf-grow">
            {webmaster?.name || webmaster?.id} <span className="lf-muted">({webmaster?.id})</span>
          </h3>
        )}
        {!isNew && (
          <button
            type="button"
            className="lf-btn lf-btn--small"
            onClick={() => {
              if (!confirm(`Delete webmaster “${webmaster?.id}”? His tracker gets no more postbacks.`)) return;
              remove.mutate(webmaster!.id, { onError: (error) => notify('error', `Could not delete the webmaster: ${error.message}`) });
            }}
            data-testid="delete-webmaster"
          >
            Delete
          </button>
        )}
      </div>
      <label className="lf-field">
        <span className="lf-field__label">Postback URL</span>
        <input
          className={`lf-input lf-input--mono${fieldError?.field === 'postbackUrl' ? ' is-invalid' : ''}`}
          value={url}
          onChange={(e) => setUrl(e.target.value)}
          onFocus={(e) => urlField(e.target, setUrl)}
          placeholder="https://tracker.example/postback?click={subid}&status={stage}"
          data-testid="postback-url"
        />
      </label>
      <div className="lf-field">
        <span className="lf-field__label">Per stream (the lead&apos;s flow id): a URL that replaces the general one</span>
        <KeyValueRows
          rows={streams}
          onChange={setStreams}
          emptyValue=""
          label="stream URL"
          rowLabel={(i, part) => (part === 'name' ? `stream ${i + 1} id` : `stream ${i + 1} postback URL`)}
          keyPlaceholder="stream id"
          valuePlaceholder="https://tracker.example/pb?click={subid}"
          addLabel="+ Add a stream URL"
          renderValue={(row, setValue, ariaLabel) => (
            <input
              className="lf-input lf-input--mono"
              value={row.value}
              aria-label={ariaLabel}
              placeholder="https://tracker.example/pb?click={subid}"
              onChange={(e) => setValue(e.target.value)}
              onFocus={(e) => urlField(e.target, setValue)}
            />
          )}
        />
      </div>
      {typos.length > 0 && (
        <p className="lf-warn lf-small" data-testid="unknown-macros">
          Not a macro, sent as written: {typos.map((m) => `{${m}}`).join(', ')}
        </p>
      )}
      {fieldError && (
        <p className="lf-danger" data-testid="webmaster-error">
          Not saved: {fieldError.field ? <strong>{fieldWords(fieldError.field)}</strong> : null} {fieldError.message}
        </p>
      )}
      {!isNew && <IntakeKeys sources={keysOf} />}
      <div className="lf-row lf-webmaster__actions">
        <button
          type="button"
          className="lf-btn lf-btn--primary lf-btn--small"
          disabled={!changed || save.isPending}
          onClick={submit}
          data-testid="save-webmaster"
        >
          {isNew ? 'Create webmaster' : changed ? 'Save' : 'Saved'}
        </button>
        {isNew && (
          <button type="button" className="lf-btn lf-btn--small" onClick={onDone}>
            Cancel
          </button>
        )}
      </div>
      {!isNew && (
        <TestPostback
          webmaster={webmaster!.id}
          urls={[{ url }, ...streams.filter((r) => r.key.trim()).map((r) => ({ stream: r.key.trim(), url: r.value.trim() || url }))]}
        />
      )}
    </section>
  );
}

/** A webmaster as text, empty parts left out, to tell whether the form changed it. */
const comparable = (w: Webmaster) =>
  JSON.stringify([w.id, w.name || '', w.postbackUrl || '', Object.entries(w.streamPostbackUrls ?? {}).sort()]);

/** A field the runtime names, in the form's words. */
function fieldWords(field: string): string {
  if (field === 'postbackUrl') return 'Postback URL:';
  if (field.startsWith('streamPostbackUrls.')) return `URL of stream ${field.slice('streamPostbackUrls.'.length)}:`;
  if (field === 'id') return 'Webmaster id:';
  return `${field}:`;
}

/** The sources that post as this webmaster, with their keys' hints; keys are managed in the sources list below. */
function IntakeKeys({ sources }: { sources: SourceView[] }) {
  return (
    <div className="lf-field lf-small" data-testid="webmaster-keys">
      <span className="lf-field__label">Intake keys</span>
      {sources.length === 0 ? (
        <span className="lf-warn">No source posts as this webmaster yet: make one in Sources below to give him a key.</span>
      ) : (
        sources.map((s) => (
          <div key={s.id} data-source={s.id}>
            <button
              type="button"
              className="lf-link-btn"
              onClick={() => document.querySelector(`[data-source-id="${CSS.escape(s.id)}"]`)?.scrollIntoView({ block: 'center' })}
            >
              {s.name || s.id}
            </button>
            {s.kind === 'network' && <span className="lf-muted"> (a network posting for him)</span>}:{' '}
            {s.keys.length === 0 ? (
              <span className="lf-warn">no key</span>
            ) : (
              s.keys.map((k) => (
                <span key={k.id} className="lf-nowrap">
                  <code>{k.hint}…</code> <span className="lf-muted">since {formatWhen(k.created_at)}</span>{' '}
                </span>
              ))
            )}
          </div>
        ))
      )}
    </div>
  );
}
