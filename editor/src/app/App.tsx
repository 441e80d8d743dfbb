/**
 * The shell: top bar, the screen the address names (`#/`, `#/flows/ID`, `#/integrations[/ID]`) and
 * the notices. The node catalog is loaded once here; every screen draws from it.
 */
import { useEffect, useState, useSyncExternalStore } from 'react';
import { api, currentUser, setCurrentUser } from '../api/client.ts';
import { useEditor } from '../canvas/store.ts';
import { FlowList } from '../flows/FlowList.tsx';
import { EditorPage } from '../flows/EditorPage.tsx';
import { IntegrationsPage } from '../integrations/IntegrationsPage.tsx';
import { Notices } from './Notices.tsx';

function subscribe(callback: () => void) {
  window.addEventListener('hashchange', callback);
  return () => window.removeEventListener('hashchange', callback);
}

function useRoute(): string[] {
  const hash = useSyncExternalStore(subscribe, () => location.hash);
  return hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
}

function UserName() {
  const [name, setName] = useState(currentUser());
  return (
    <label className="lf-user" title="Versions you save are signed with this name">
      <span className="lf-muted">You:</span>
      <input
        className="lf-input lf-input--bare"
        value={name}
        placeholder="your name"
        size={Math.max(8, name.length)}
        onChange={(e) => setName(e.target.value)}
        onBlur={() => setCurrentUser(name)}
        aria-label="Your name"
      />
    </label>
  );
}

export function App() {
  const route = useRoute();
  const catalogSize = useEditor((s) => s.descriptors.size);
  const [failed, setFailed] = useState('');

  useEffect(() => {
    api.nodes().then(
      (nodes) => useEditor.getState().setDescriptors(nodes),
      (error) => setFailed((error as Error).message),
    );
  }, []);

  // leaving a flow with unsaved changes asks first
  useEffect(() => {
    let last = location.hash;
    const guard = () => {
      const s = useEditor.getState();
      const leaving = last.startsWith('#/flows/') && location.hash !== last;
      if (leaving && s.dirty && !window.confirm('This flow has unsaved changes (kept in this browser as a draft). Leave it?')) {
        history.replaceState(null, '', last);
        return;
      }
      if (leaving) useEditor.setState({ dirty: false, meta: null });
      last = location.hash;
    };
    window.addEventListener('hashchange', guard);
    return () => window.removeEventListener('hashchange', guard);
  }, []);

  const [section, id] = route;
  let screen;
  if (failed) screen = <div className="lf-center">The runtime did not answer: {failed}</div>;
  else if (!catalogSize) screen = <div className="lf-center lf-muted">Loading…</div>;
  else if (section === 'flows' && id) screen = <EditorPage key={id} flowId={id} />;
  else if (section === 'integrations') screen = <IntegrationsPage integrationId={id} />;
  else screen = <FlowList />;

  return (
    <div className="lf-app">
      <header className="lf-top">
        <a href="#/" className="lf-logo">
          <span className="lf-logo__mark" />
          leadflow
        </a>
        <nav className="lf-nav">
          <a href="#/" className={!section || section === 'flows' ? 'is-on' : ''}>
            Flows
          </a>
          <a href="#/integrations" className={section === 'integrations' ? 'is-on' : ''}>
            Integrations
          </a>
        </nav>
        <span className="lf-toolbar__spacer" />
        <UserName />
      </header>
      <main className="lf-main">{screen}</main>
      <Notices />
    </div>
  );
}
