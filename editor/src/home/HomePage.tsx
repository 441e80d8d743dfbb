/**
 * The first screen after logging in: the next step (what to do, from what exists: next-steps.ts),
 * then the state of things — integrations on or off, today's leads by stage, deliveries that
 * failed — and the way to the guide.
 */
import { STAGES } from '../../../core/domain/lead.ts';
import type { Overview } from '../../../core/api.ts';
import { notify } from '../app/notices.ts';
import { StageBadge } from '../leads/StageBadge.tsx';
import { nextSteps, type NextStep } from './next-steps.ts';
import { useOverview, useSendTestLead } from './overview-queries.ts';
import './home.css';

export function HomePage() {
  const overview = useOverview();
  // held here, not in the step: the lead it sends changes the steps, and its result stays in view
  const send = useSendTestLead();
  if (overview.error) return <div className="lf-center lf-danger">Could not read the state of things: {overview.error.message}</div>;
  if (!overview.data) return <div className="lf-center lf-muted">Loading…</div>;
  const o = overview.data;
  const [first, ...rest] = nextSteps(o);

  return (
    <div className="lf-page lf-home" data-testid="home-page">
      <div className="lf-page__head">
        <h1>Home</h1>
        <span className="lf-toolbar__spacer" />
        <a className="lf-btn" href="#/help" data-testid="help-link">
          Guide: how leadflow works
        </a>
      </div>
      <section className="lf-box lf-next" data-testid="next-step" data-step={first.id}>
        <div className="lf-muted lf-small">Next step</div>
        {send.data && (
          <p className="lf-ok-line" data-testid="demo-lead-sent">
            ✓ Test lead #{send.data.id} accepted (stage {send.data.stage}).{' '}
            <a href={`#/leads/${send.data.id}`} data-testid="demo-lead-link">
              Follow it to the CRM’s answer
            </a>
          </p>
        )}
        <StepAction step={first} overview={o} send={send} primary />
        <p className="lf-muted">{first.why}</p>
        {rest.length > 0 && (
          <div className="lf-next__more" data-testid="more-steps">
            <span className="lf-muted">Then:</span>
            {rest.map((step) => (
              <StepAction key={step.id} step={step} overview={o} send={send} />
            ))}
          </div>
        )}
      </section>
      <div className="lf-home__grid">
        <Integrations o={o} />
        <LeadsToday o={o} />
        <Failures o={o} />
      </div>
    </div>
  );
}

/** A step as a link to its screen, or (the demo lead) a button that does it here. */
interface StepProps {
  step: NextStep;
  overview: Overview;
  send: ReturnType<typeof useSendTestLead>;
  primary?: boolean;
}

function StepAction({ step, overview, send, primary = false }: StepProps) {
  const className = primary ? 'lf-btn lf-btn--primary lf-next__action' : 'lf-link-btn';
  if (step.id !== 'demo-lead') {
    return (
      <a className={className} href={step.href} data-testid={`step-${step.id}`}>
        {step.title}
      </a>
    );
  }
  return (
    <button
      type="button"
      className={className}
      disabled={send.isPending}
      onClick={() =>
        send.mutate(
          { source: overview.demo!.source!, offer: overview.demo!.offer || undefined },
          { onError: (error) => notify('error', `The test lead was not sent: ${error.message}`) },
        )
      }
      data-testid="step-demo-lead"
    >
      {send.isPending ? 'Sending…' : step.title}
    </button>
  );
}

function Integrations({ o }: { o: Overview }) {
  const on = o.integrations.filter((i) => i.enabled).length;
  return (
    <section className="lf-box" data-testid="home-integrations">
      <h2>Integrations</h2>
      {o.integrations.length === 0 ? (
        <p className="lf-muted">None yet.</p>
      ) : (
        <>
          <p className="lf-muted">
            {on} on, {o.integrations.length - on} off
          </p>
          <ul className="lf-plain-list">
            {o.integrations.map((i) => (
              <li key={i.id} data-integration={i.id}>
                <span className={`lf-pill ${i.enabled ? 'lf-pill--ok' : 'lf-pill--off'}`}>
                  {i.enabled ? (i.paused ? 'paused' : 'on') : 'off'}
                </span>{' '}
                <a href={`#/integrations/${encodeURIComponent(i.id)}`}>{i.name}</a>
                {i.failed > 0 && <span className="lf-danger lf-small"> · {i.failed} failed</span>}
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

function LeadsToday({ o }: { o: Overview }) {
  const total = Object.values(o.leadsToday).reduce((a, b) => a + (b ?? 0), 0);
  return (
    <section className="lf-box" data-testid="home-leads">
      <h2>Today&apos;s leads</h2>
      <p className="lf-muted">{total === 0 ? 'None since midnight.' : `${total} since midnight, by stage:`}</p>
      {total > 0 && (
        <ul className="lf-plain-list lf-home__stages">
          {STAGES.filter((s) => o.leadsToday[s]).map((s) => (
            <li key={s} data-stage-count={s}>
              <a href={`#/leads?stage=${s}`}>
                <StageBadge stage={s} /> <span className="lf-num">{o.leadsToday[s]}</span>
              </a>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Failures({ o }: { o: Overview }) {
  const { failed, retrying } = o.deliveries;
  return (
    <section className="lf-box" data-testid="home-failures">
      <h2>Delivery failures</h2>
      {failed === 0 && retrying === 0 ? (
        <p className="lf-ok-line">✓ No failed deliveries.</p>
      ) : (
        <ul className="lf-plain-list">
          {failed > 0 && (
            <li className="lf-danger" data-testid="home-failed">
              <a href="#/leads?delivery=failed">{failed} failed after every retry</a>
            </li>
          )}
          {retrying > 0 && (
            <li className="lf-warn">
              <a href="#/leads?delivery=retrying">{retrying} being retried</a>
            </li>
          )}
        </ul>
      )}
    </section>
  );
}
