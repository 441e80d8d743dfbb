/**
 * The shell: top bar, the screen the address names (`#/` home, `#/flows[/ID]`, `#/help`, `#/integrations[/ID]`, `#/offers[/ID]`,
 * `#/leads[/ID]`, `#/log[/ID]`, `#/audit`, filters after `?`) and the notices. The node catalog is loaded once
 * here (through the query cache); every screen draws from it.
 */
import { lazy, Suspense } from 'react';
import type { SessionUser } from '../../../core/domain/user.ts';
import { useSession } from '../api/queries.ts';
import { useLogOut } from '../api/mutations.ts';
import { useCatalogQuery } from '../catalog/catalog.ts';
import { FlowList } from '../flows/FlowList.tsx';
import { LoginPage } from '../login/LoginPage.tsx';

// the canvas (React Flow), the integrations, leads and log screens load when first opened, keeping the first page small
const EditorPage = lazy(() => import('../flows/EditorPage.tsx').then((m) => ({ default: m.EditorPage })));
const IntegrationsPage = lazy(() => import('../integrations/IntegrationsPage.tsx').then((m) => ({ default: m.IntegrationsPage })));
const LeadsPage = lazy(() => import('../leads/LeadsPage.tsx').then((m) => ({ default: m.LeadsPage })));
const LeadPage = lazy(() => import('../leads/LeadPage.tsx').then((m) => ({ default: m.LeadPage })));
const LogPage = lazy(() => import('../log/LogPage.tsx').then((m) => ({ default: m.LogPage })));
const OffersPage = lazy(() => import('../offers/OffersPage.tsx').then((m) => ({ default: m.OffersPage })));
const SourcesPage = lazy(() => import('../sources/SourcesPage.tsx').then((m) => ({ default: m.SourcesPage })));
const AuditPage = lazy(() => import('../audit/AuditPage.tsx').then((m) => ({ default: m.AuditPage })));
const UsersPage = lazy(() => import('../users/UsersPage.tsx').then((m) => ({ default: m.UsersPage })));
const ExecutionPage = lazy(() => import('../log/ExecutionPage.tsx').then((m) => ({ default: m.ExecutionPage })));
const HomePage = lazy(() => import('../home/HomePage.tsx').then((m) => ({ default: m.HomePage })));
const HelpPage = lazy(() => import('../help/HelpPage.tsx').then((m) => ({ default: m.HelpPage })));
const DashboardPage = lazy(() => import('../dashboard/DashboardPage.tsx').then((m) => ({ default: m.DashboardPage })));
import { Notices } from './Notices.tsx';
import { useRoute } from './route.ts';

/** The logged-in user (versions they save are signed with this name) and Log out. */
function UserName({ user }: { user: SessionUser }) {
  const logOut = useLogOut();
  return (
    <span className="lf-user" title="Versions you save are signed with this name" data-testid="session-user">
      <span className="lf-muted">You:</span> <span className="lf-strong">{user.name}</span> <span className="lf-muted">({user.role})</span>
      <button
        className="lf-btn lf-btn--small"
        type="button"
        onClick={() => logOut.mutate(undefined, { onSuccess: () => (location.hash = '#/login') })}
        data-testid="log-out"
      >
        Log out
      </button>
    </span>
  );
}

export function App() {
  const session = useSession();
  if (session.isPending) return <div className="lf-center lf-muted">Loading…</div>;
  if (session.error) return <div className="lf-center">The runtime did not answer: {session.error.message}</div>;
  if (!session.data) return <LoginPage />;
  return <Shell user={session.data.user} />;
}

function Shell({ user }: { user: SessionUser }) {
  const route = useRoute();
  const catalog = useCatalogQuery();

  const [section, id] = route;
  let screen;
  if (section === 'login') screen = <LoginPage />;
  else if (catalog.error) screen = <div className="lf-center">The runtime did not answer: {catalog.error.message}</div>;
  else if (!catalog.data?.size) screen = <div className="lf-center lf-muted">Loading…</div>;
  else if (section === 'flows' && id) screen = <EditorPage key={id} flowId={id} />;
  else if (section === 'integrations') screen = <IntegrationsPage integrationId={id} />;
  else if (section === 'leads' && id) screen = <LeadPage key={id} leadId={Number(id)} />;
  else if (section === 'leads') screen = <LeadsPage user={user} />;
  else if (section === 'log' && id) screen = <ExecutionPage key={id} executionId={Number(id)} />;
  else if (section === 'log') screen = <LogPage />;
  else if (section === 'sources') screen = <SourcesPage />;
  else if (section === 'offers') screen = <OffersPage offerId={id} />;
  else if (section === 'dashboard') screen = <DashboardPage user={user} />;
  else if (section === 'audit') screen = <AuditPage />;
  else if (section === 'users' && user.role === 'admin') screen = <UsersPage />;
  else if (section === 'flows') screen = <FlowList />;
  else if (section === 'help') screen = <HelpPage />;
  else screen = <HomePage />;

  return (
    <div className="lf-app">
      <header className="lf-top">
        <a href="#/" className="lf-logo">
          <span className="lf-logo__mark" />
          leadflow
        </a>
        <nav className="lf-nav">
          <a href="#/" className={!section || section === 'home' ? 'is-on' : ''} data-testid="nav-home">
            Home
          </a>
          <a href="#/flows" className={section === 'flows' ? 'is-on' : ''} data-testid="nav-flows">
            Flows
          </a>
          <a href="#/integrations" className={section === 'integrations' ? 'is-on' : ''} data-testid="nav-integrations">
            Integrations
          </a>
          <a href="#/offers" className={section === 'offers' ? 'is-on' : ''} data-testid="nav-offers">
            Offers
          </a>
          <a href="#/dashboard" className={section === 'dashboard' ? 'is-on' : ''} data-testid="nav-dashboard">
            Dashboard
          </a>
          <a href="#/leads" className={section === 'leads' ? 'is-on' : ''} data-testid="nav-leads">
            Leads
          </a>
          <a href="#/log" className={section === 'log' ? 'is-on' : ''} data-testid="nav-log">
            Integration log
          </a>
          <a href="#/sources" className={section === 'sources' ? 'is-on' : ''} data-testid="nav-sources">
            Webmasters
          </a>
          <a href="#/audit" className={section === 'audit' ? 'is-on' : ''} data-testid="nav-audit">
            Audit
          </a>
          {user.role === 'admin' && (
            <a href="#/users" className={section === 'users' ? 'is-on' : ''} data-testid="nav-users">
              Users
            </a>
          )}
        </nav>
        <span className="lf-toolbar__spacer" />
        <nav className="lf-nav">
          <a href="#/help" className={section === 'help' ? 'is-on' : ''} data-testid="nav-help">
            Help
          </a>
        </nav>
        <UserName user={user} />
      </header>
      <main className="lf-main">
        <Suspense fallback={<div className="lf-center lf-muted">Loading…</div>}>{screen}</Suspense>
      </main>
      <Notices />
    </div>
  );
}
