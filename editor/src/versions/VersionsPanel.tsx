/**
 * Saved versions of the flow: who saved each and when; open one (read-only on the canvas), see what
 * changed between it and the current version, and roll back (which saves it again as the newest).
 */
import { useEffect, useState } from 'react';
import type { FlowDoc } from '../../../core/domain/flow.ts';
import { useFetchVersion, useRollBack, useVersions } from '../api/queries.ts';
import { useEditor } from '../canvas/store.ts';
import { useFlowDocument, useFlowMeta } from '../canvas/document.ts';
import { openDoc, openVersion } from '../canvas/commands.ts';
import { formatWhen } from '../canvas/look.ts';
import { notify } from '../app/notices.ts';
import { diffFlows, type FlowChange } from './diff.ts';

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
        ? `Roll back to version ${version}? Your unsaved changes will be lost.`
        : `Roll back to version ${version}? It is saved again as the newest version; nothing is deleted.`;
    if (!window.confirm(message)) return undefined;
    const saved = await rollBack.mutateAsync({ flowId, version });
    openDoc(saved);
    useEditor.getState().setPanel('versions');
    notify('success', `Rolled back: version ${version} is saved as version ${saved.version}`);
    return saved;
  };
}

export function VersionsPanel() {
  const meta = useFlowMeta();
  const viewing = useFlowDocument((s) => s.viewing);
  const [diff, setDiff] = useState<{ version: number; changes: FlowChange[] } | null>(null);
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

  const compare = async (version: number) => {
    const [old, now] = await Promise.all([fetchVersion(flowId, version), fetchVersion(flowId, current)]);
    setDiff({ version, changes: diffFlows(old, now) });
  };

  const open = async (version: number) => {
    openVersion(await fetchVersion(flowId, version));
  };

  return (
    <div className="lf-panel__section" data-testid="versions">
      <h2>Versions</h2>
      <p className="lf-muted">Every save is a new version. Nothing is lost: roll back saves an old version again as the newest.</p>
      <ol className="lf-versions">
        {versions.map((v) => (
          <li
            key={v.version}
            className={`${v.version === current ? 'is-current' : ''}${viewing?.version === v.version ? ' is-viewing' : ''}`}
            data-version={v.version}
          >
            <div className="lf-versions__line">
              <b>v{v.version}</b>
              {v.version === current && <span className="lf-pill lf-pill--ok">current</span>}
              <span className="lf-muted">{v.savedBy}</span>
              <span className="lf-muted">{formatWhen(v.savedAt)}</span>
            </div>
            <div className="lf-versions__actions">
              <button type="button" className="lf-link-btn" onClick={() => void open(v.version)}>
                Open
              </button>
              {v.version !== current && (
                <>
                  <button type="button" className="lf-link-btn" onClick={() => void compare(v.version)}>
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
            v{diff.version} → v{current} (current)
            <button type="button" className="lf-icon-btn" title="Close" onClick={() => setDiff(null)}>
              ×
            </button>
          </h3>
          {diff.changes.length === 0 && <p className="lf-muted">No change but node positions.</p>}
          <ul>
            {diff.changes.map((c, i) => (
              <li key={i} className={`lf-diff__${c.kind}`}>
                <span className="lf-diff__kind">{c.kind === 'added' ? '+' : c.kind === 'removed' ? '−' : '~'}</span>
                <span className="lf-diff__what">{c.what}</span>
                {c.kind === 'changed' && (
                  <span className="lf-diff__values">
                    <del>{c.before}</del>
                    <ins>{c.after}</ins>
                  </span>
                )}
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
