/**
 * Saved versions of the flow: who saved each and when; open one (read-only on the canvas), see what
 * changed between it and the current version, and roll back (which saves it again as the newest).
 */
import { useEffect, useState } from 'react';
import type { FlowDoc } from '../../../core/domain/flow.ts';
import { api, type VersionInfo } from '../api/client.ts';
import { useEditor } from '../canvas/store.ts';
import { formatWhen } from '../canvas/look.ts';
import { notify } from '../app/notices.ts';
import { diffFlows, type FlowChange } from './diff.ts';

export async function rollBack(flowId: string, version: number): Promise<FlowDoc | undefined> {
  const s = useEditor.getState();
  const message =
    s.dirty || s.viewing?.stash.dirty
      ? `Roll back to version ${version}? Your unsaved changes will be lost.`
      : `Roll back to version ${version}? It is saved again as the newest version; nothing is deleted.`;
  if (!window.confirm(message)) return undefined;
  const doc = await api.version(flowId, version);
  const saved = await api.saveFlow({ ...doc, id: flowId });
  useEditor.getState().load(saved);
  useEditor.getState().setPanel('versions');
  notify('success', `Rolled back: version ${version} is saved as version ${saved.version}`);
  return saved;
}

export function VersionsPanel() {
  const meta = useEditor((s) => s.meta);
  const viewing = useEditor((s) => s.viewing);
  const [versions, setVersions] = useState<VersionInfo[]>([]);
  const [current, setCurrent] = useState(0);
  const [diff, setDiff] = useState<{ version: number; changes: FlowChange[] } | null>(null);
  const flowId = meta?.id;
  const savedVersion = viewing ? undefined : meta?.version;

  useEffect(() => {
    if (!flowId) return;
    let stale = false;
    api
      .versions(flowId)
      .then((answer) => {
        if (stale) return;
        setVersions([...answer.versions].reverse());
        setCurrent(answer.currentVersion);
      })
      .catch((error) => notify('error', `Could not load the versions: ${(error as Error).message}`));
    return () => {
      stale = true;
    };
  }, [flowId, savedVersion]);

  if (!flowId) return null;

  const compare = async (version: number) => {
    const [old, now] = await Promise.all([api.version(flowId, version), api.version(flowId, current)]);
    setDiff({ version, changes: diffFlows(old, now) });
  };

  const open = async (version: number) => {
    const doc = await api.version(flowId, version);
    useEditor.getState().openVersion(doc);
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
