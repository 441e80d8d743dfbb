/**
 * The shell: top bar, the screen the address names (`#/`, `#/flows/ID`, `#/integrations[/ID]`,
 * `#/leads[/ID]`, `#/log[/ID]`, `#/audit`, filters after `?`) and the notices. The node catalog is loaded once
 * here (through the query cache); every screen draws from it.
 */
import { lazy, Suspense, useState } from 'react';
import { currentUser, setCurrentUser } from '../api/client.ts';
import { useCatalogQuery } from '../catalog/catalog.ts';
import { FlowList } from '../flows/FlowList.tsx';

// the canvas (React Flow), the integrations, leads and log screens load when first opened, keeping the first page small
const EditorPage = lazy(() => import('../flows/EditorPage.tsx').then((m) => ({ default: m.EditorPage })));
const IntegrationsPage = lazy(() => import('../integrations/IntegrationsPage.tsx').then((m) => ({ default: m.IntegrationsPage })));
const LeadsPage = lazy(() => import('../leads/LeadsPage.tsx').then((m) => ({ default: m.LeadsPage })));
const LeadPage = lazy(() => import('../leads/LeadPage.tsx').then((m) => ({ default: m.LeadPage })));
const LogPage = lazy(() => import('../log/LogPage.tsx').then((m) => ({ default: m.LogPage })));
const SourcesPage = lazy(() => import('../sources/SourcesPage.tsx').then((m) => ({ default: m.SourcesPage })));
const AuditPage = lazy(() => import('../audit/AuditPage.tsx').then((m) => ({ default: m.AuditPage })));
const ExecutionPage = lazy(() => import('../log/ExecutionPage.tsx').then((m) => ({ default: m.ExecutionPage })));
import { Notices } from './Notices.tsx';
import { useRoute } from './route.ts';

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
  const catalog = useCatalogQuery();

  const [section, id] = route;
  let screen;
  if (catalog.error) screen = <div className="lf-center">The runtime did not answer: {catalog.error.message}</div>;
  else if (!catalog.data?.size) screen = <div className="lf-center lf-muted">Loading…</div>;
  else if (section === 'flows' && id) screen = <EditorPage key={id} flowId={id} />;
  else if (section === 'integrations') screen = <IntegrationsPage integrationId={id} />;
  else if (section === 'leads' && id) screen = <LeadPage key={id} leadId={Number(id)} />;
  else if (section === 'leads') screen = <LeadsPage />;
  else if (section === 'log' && id) screen = <ExecutionPage key={id} executionId={Number(id)} />;
  else if (section === 'log') screen = <LogPage />;
  else if (section === 'sources') screen = <SourcesPage />;
  else if (section === 'audit') screen = <AuditPage />;
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
          <a href="#/leads" className={section === 'leads' ? 'is-on' : ''} data-testid="nav-leads">
            Leads
          </a>
          <a href="#/log" className={section === 'log' ? 'is-on' : ''} data-testid="nav-log">
            Integration log
          </a>
          <a href="#/sources" className={section === 'sources' ? 'is-on' : ''} data-testid="nav-sources">
            Sources
          </a>
          <a href="#/audit" className={section === 'audit' ? 'is-on' : ''} data-testid="nav-audit">
            Audit
          </a>
        </nav>
        <span className="lf-toolbar__spacer" />
        <UserName />
      </header>
      <main className="lf-main">
        <Suspense fallback={<div className="lf-center lf-muted">Loading…</div>}>{screen}</Suspense>
      </main>
      <Notices />
    </div>
  );
}
