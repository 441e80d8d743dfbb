/**
 * Published versions of the flow: who published each, when, and what they said of it; open one
 * (read-only on the canvas), compare any two (or your draft with one), and roll back (which
 * publishes it again as the newest).
 */
import { useEffect, useState } from 'react';
import type { FlowDoc } from '../../../core/domain/flow.ts';
import { useFetchVersion, useVersions } from '../api/queries.ts';
import { useRollBack } from '../api/mutations.ts';
import { useEditor } from '../canvas/store.ts';
import { currentDoc, useFlowDocument, useFlowMeta } from '../canvas/document.ts';
import { openDoc, openVersion } from '../canvas/commands.ts';
import { formatWhen } from '../canvas/look.ts';
import { notify } from '../app/notices.ts';
import { api } from '../api/client.ts';
import { diffFlows, type FlowDiff } from '../../../core/flow/diff.ts';
import { draftGone } from '../flows/draft-sync.ts';
import { DiffView } from './DiffView.tsx';

/** One side of a comparison: a version's number, or the draft being edited. */
type Side = number | 'draft';
const sideName = (side: Side, current: number) => (side === 'draft' ? 'your draft' : `v${side}${side === current ? ' (live)' : ''}`);

/**
 * Rolling back: asks first (unsaved changes are lost), saves the old version again as the newest and
 * opens it for editing.
 */
export function useRollBackTo(): (flowId: string, version: number) => Promise<FlowDoc | undefined> {
  const rollBack = useRollBack();
  return async (flowId, version) => {
    const s = useFlowDocument.getState();
    const message =
      s.dirty || s.viewing?.stash.dirty
        ? `Roll back to version ${version}? Your unpublished changes (your draft) will be lost.`
        : `Roll back to version ${version}? It is published again as the newest version; nothing is deleted.`;
    if (!window.confirm(message)) return undefined;
    const saved = await rollBack.mutateAsync({ flowId, version });
    // the draft started from what is no longer live: rolling back discards it, as the question said
    await api.discardDraft(flowId).catch(() => undefined);
    openDoc(saved);
    draftGone();
    useEditor.getState().setPanel('versions');
    notify('success', `Rolled back: version ${version} is saved as version ${saved.version}`);
    return saved;
  };
}

export function VersionsPanel() {
  const meta = useFlowMeta();
  const viewing = useFlowDocument((s) => s.viewing);
  const dirty = useFlowDocument((s) => s.dirty || !!s.viewing?.stash.dirty);
  const [pick, setPick] = useState<{ from: Side; to: Side } | null>(null);
  const [diff, setDiff] = useState<{ from: Side; to: Side; changes: FlowDiff } | null>(null);
  const flowId = meta?.id ?? '';
  const answer = useVersions(flowId);
  const fetchVersion = useFetchVersion();
  const rollBack = useRollBackTo();
  const versions = answer.data ? [...answer.data.versions].reverse() : [];
  const current = answer.data?.currentVersion ?? 0;

  useEffect(() => {
    if (answer.error) notify('error', `Could not load the versions: ${answer.error.message}`);
  }, [answer.error]);

  if (!flowId) return null;

  // the draft side is the document being edited: what the server holds as the draft, or newer by a second
  const side = (s: Side) => {
    if (s !== 'draft') return fetchVersion(flowId, s);
    const doc = useFlowDocument.getState().viewing?.stash.history.present ?? currentDoc();
    return doc ? Promise.resolve(doc) : Promise.reject(new Error('no draft open'));
  };
  const compare = async (from: Side, to: Side) => {
    try {
      const [before, after] = await Promise.all([side(from), side(to)]);
      setDiff({ from, to, changes: diffFlows(before, after) });
    } catch (error) {
      notify('error', `Could not compare: ${(error as Error).message}`);
    }
  };
  const sides: Side[] = [...(dirty ? ['draft' as const] : []), ...versions.map((v) => v.version)];
  const chosen = pick ?? (sides.length >= 2 ? { from: sides[1], to: sides[0] } : null);

  const open = async (version: number) => {
    openVersion(await fetchVersion(flowId, version));
  };

  return (
    <div className="lf-panel__section" data-testid="versions">
      <h2>Versions</h2>
      <p className="lf-muted">
        Every publish is a new version; your changes stay a draft until then. Nothing is lost: roll back publishes an old version again.
      </p>
      {chosen && (
        <div className="lf-diff-pick" data-testid="diff-pick">
          Compare
          <select
            className="lf-input"
            aria-label="Compare from"
            value={String(chosen.from)}
            onChange={(e) => setPick({ ...chosen, from: e.target.value === 'draft' ? 'draft' : Number(e.target.value) })}
          >
            {sides.map((s) => (
              <option key={s} value={String(s)}>
                {sideName(s, current)}
              </option>
            ))}
          </select>
          with
          <select
            className="lf-input"
            aria-label="Compare with"
            value={String(chosen.to)}
            onChange={(e) => setPick({ ...chosen, to: e.target.value === 'draft' ? 'draft' : Number(e.target.value) })}
          >
            {sides.map((s) => (
              <option key={s} value={String(s)}>
                {sideName(s, current)}
              </option>
            ))}
          </select>
          <button type="button" className="lf-btn lf-btn--small" onClick={() => void compare(chosen.from, chosen.to)} data-testid="compare">
            Show changes
          </button>
        </div>
      )}
      <ol className="lf-versions">
        {versions.map((v) => (
          <li
            key={v.version}
            className={`${v.version === current ? 'is-current' : ''}${viewing?.version === v.version ? ' is-viewing' : ''}`}
            data-version={v.version}
          >
            <div className="lf-versions__line">
              <b>v{v.version}</b>
              {v.version === current && <span className="lf-pill lf-pill--ok">live</span>}
              <span className="lf-muted">{v.savedBy}</span>
              <span className="lf-muted">{formatWhen(v.savedAt)}</span>
            </div>
            {v.message && (
              <div className="lf-versions__message" data-testid="version-message">
                “{v.message}”
              </div>
            )}
            <div className="lf-versions__actions">
              <button type="button" className="lf-link-btn" onClick={() => void open(v.version)}>
                Open
              </button>
              {v.version !== current && (
                <>
                  <button type="button" className="lf-link-btn" onClick={() => void compare(v.version, current)}>
                    Changes since
                  </button>
                  <button
                    type="button"
                    className="lf-link-btn"
                    onClick={() => void rollBack(flowId, v.version).catch((e) => notify('error', (e as Error).message))}
                  >
                    Roll back
                  </button>
                </>
              )}
            </div>
          </li>
        ))}
      </ol>
      {diff && (
        <div className="lf-diff" data-testid="diff">
          <h3>
            {sideName(diff.from, current)} → {sideName(diff.to, current)}
            <button type="button" className="lf-icon-btn" title="Close" onClick={() => setDiff(null)}>
              ×
            </button>
          </h3>
          <DiffView diff={diff.changes} />
        </div>
      )}
    </div>
  );
}
