/**
 * Test runs: the flow on the canvas (saved or not) against a sample lead (editable JSON, the
 * kernel's sample for the integration: an offer routed to it, a phone and country that fit) or a
 * stored one. Dry by default: the run stops before the first request to the target and shows the
 * request it would send, secrets masked; "Send for real" sends it. Pinned node outputs stand in
 * for their nodes. Nothing changes in our data and no postback leaves; the canvas then shows
 * which nodes ran, failed, stopped or were not reached, and each node's panel what it did.
 */
import { useEffect, useMemo, useState } from 'react';
import type { FlowNode } from '../../../core/domain/flow.ts';
import { sampleLeadFor } from '../../../core/domain/sample-lead.ts';
import { ApiError } from '../api/client.ts';
import { useIntegrations, useLeads, useOffers } from '../api/queries.ts';
import { useTestRun } from '../api/mutations.ts';
import { useEditor } from '../canvas/store.ts';
import { currentDoc, useFlowDocument, useFlowMeta } from '../canvas/document.ts';
import { formatMs } from '../canvas/look.ts';
import { notify } from '../app/notices.ts';
import { RunSummary } from './RunSummary.tsx';
import { SendForReal } from './SendForReal.tsx';
import { pinsOf, usePins, useTestOptions } from './test-options.ts';
import { publishSampleLead } from './sample-lead.ts';
import { MissingOffer, offerOfLead } from './MissingOffer.tsx';

/** What starts a flow that is not about one new lead: a target's postback, a batch of a status check. */
export function sampleTrigger(event: string): unknown {
  if (event === 'postback.in') return { query: { order_id: 'D1001', status: 'confirmed', comment: 'confirmed by phone' }, body: {} };
  if (event === 'status.range') return { from: '2026-01-01 00:00:00', to: '2026-01-01 23:59:59', page: 1 };
  if (event.startsWith('status.')) {
    return {
      ids: [1, 2],
      eids: ['D1001', 'D1002'],
      leads: [
        { id: 1, eid: 'D1001', stage: 'wait', status: 'processing' },
        { id: 2, eid: 'D1002', stage: 'hold', status: 'hold' },
      ],
    };
  }
  return undefined;
}

const NO_NODES: FlowNode[] = [];

export function TestPanel() {
  const meta = useFlowMeta();
  const integrations = useIntegrations().data ?? [];
  const integrationId = useEditor((s) => s.testIntegration);
  const setIntegration = useEditor((s) => s.setTestIntegration);
  const run = useEditor((s) => s.run);
  const nodes = useFlowDocument((s) => s.history?.present.nodes ?? NO_NODES);
  const integration = integrations.find((i) => i.id === integrationId);
  const offers = useOffers().data;
  const sampleText = useMemo(() => JSON.stringify(sampleLeadFor(integration, offers ?? []), null, 2), [integration, offers]);
  const pins = usePins(meta?.id);
  const pinned = Object.keys(pins);
  const send = useTestOptions((s) => s.send);

  const [source, setSource] = useState<'sample' | 'stored'>('sample');
  const [leadText, setLeadText] = useState(sampleText);
  const [triggerText, setTriggerText] = useState(() => JSON.stringify(sampleTrigger(meta?.event ?? '') ?? {}, null, 2));
  const [leadId, setLeadId] = useState<number | ''>('');
  const testRun = useTestRun();
  const running = testRun.isPending;
  const stored = useLeads({ integration: integrationId, limit: 30 }, { enabled: source === 'stored' && !!integrationId });
  const storedLeads = stored.data ?? [];

  // the sample follows the integration (its offer, the offer's geo) while it is untouched
  // (adjusted while rendering, as React advises for state that follows a value)
  const [shownSample, setShownSample] = useState(sampleText);
  if (sampleText !== shownSample) {
    setShownSample(sampleText);
    if (leadText === shownSample) setLeadText(sampleText);
  }

  // template fields preview their values for this lead
  useEffect(() => publishSampleLead(source === 'sample' ? leadText : null), [source, leadText]);

  useEffect(() => {
    if (stored.error) notify('error', `Could not load leads: ${stored.error.message}`);
  }, [stored.error]);

  const leadError = useMemo(() => {
    if (source !== 'sample') return '';
    try {
      const lead = JSON.parse(leadText);
      return lead && typeof lead === 'object' && !Array.isArray(lead) ? '' : 'The lead must be a JSON object.';
    } catch (e) {
      return `Not valid JSON: ${(e as Error).message}`;
    }
  }, [source, leadText]);

  if (!meta) return null;
  // a sample lead must name an offer (the runtime refuses one without): said, and Run kept off, before running
  const missingOffer = meta.event.startsWith('lead.') && source === 'sample' && !leadError && offerOfLead(leadText) === '';
  const hasTrigger = sampleTrigger(meta.event) !== undefined;
  // status checks and postbacks run on their batch or call: no lead to choose
  const needsLead = meta.event.startsWith('lead.');
  const isStatus = meta.event.startsWith('status.');

  const start = async () => {
    const s = useEditor.getState();
    const flow = currentDoc();
    if (!flow || !integrationId) return;
    try {
      let trigger: unknown;
      // a status check's batch left empty: the integration's real wait/hold leads, read only
      if (hasTrigger && !(isStatus && triggerText.trim() === '')) trigger = JSON.parse(triggerText);
      const answer = await testRun.mutateAsync({
        flowId: flow.id,
        integration: integrationId,
        flow,
        ...(!needsLead ? {} : source === 'stored' && leadId !== '' ? { leadId } : { lead: JSON.parse(leadText) }),
        ...(trigger !== undefined ? { trigger } : {}),
        send: useTestOptions.getState().send,
        pins: pinsOf(flow.id),
      });
      s.setRun(answer, flow.edges);
      const failed = answer.execution.steps.filter((st) => st.state === 'error').length;
      const state = answer.execution.state;
      notify(
        state === 'success' ? 'success' : state === 'stopped' ? 'info' : 'error',
        state === 'success'
          ? `Test run finished in ${formatMs(answer.execution.durationMs)}`
          : state === 'stopped'
            ? `Stopped before sending at ${answer.stopped?.nodeId ?? 'the request'}: nothing was sent`
            : `Test run stopped: ${answer.error?.message ?? `${failed} node failed`}`,
      );
    } catch (error) {
      if (error instanceof ApiError && error.issues) {
        s.setIssues(error.issues);
        notify(
          'error',
          'Fix the marked problems before a test run',
          error.issues.map((i) => (i.nodeId ? `${i.nodeId}: ` : '') + `${i.field} ${i.message}`),
        );
      } else notify('error', `Test run failed: ${(error as Error).message}`);
    }
  };

  return (
    <div className="lf-panel__section" data-testid="test-panel">
      <h2>Test run</h2>
      <p className="lf-muted">
        Runs the flow as it is on the canvas with the integration’s settings and secrets. It stops before the first request to the target
        and shows what it would send, unless you tick “Send for real”. No lead changes, no postback is sent.
      </p>
      <div className="lf-field">
        <label className="lf-field__label" htmlFor="test-integration">
          Integration (its settings, secrets and target)
        </label>
        <select id="test-integration" className="lf-input" value={integrationId} onChange={(e) => setIntegration(e.target.value)}>
          {integrations.length === 0 && <option value="">no integration yet</option>}
          {integrations.map((i) => (
            <option key={i.id} value={i.id}>
              {i.name}
            </option>
          ))}
        </select>
      </div>
      {needsLead && (
        <div className="lf-seg" role="radiogroup" aria-label="Lead">
          <label className={source === 'sample' ? 'is-on' : ''}>
            <input type="radio" name="lead-source" checked={source === 'sample'} onChange={() => setSource('sample')} />
            Sample lead
          </label>
          <label className={source === 'stored' ? 'is-on' : ''}>
            <input type="radio" name="lead-source" checked={source === 'stored'} onChange={() => setSource('stored')} />A stored lead
          </label>
        </div>
      )}
      {needsLead &&
        (source === 'sample' ? (
          <div className="lf-field">
            <textarea
              className={`lf-input lf-input--mono${leadError ? ' is-invalid' : ''}`}
              rows={10}
              spellCheck={false}
              value={leadText}
              onChange={(e) => setLeadText(e.target.value)}
              aria-label="Sample lead (JSON)"
            />
            {leadError && <p className="lf-field__error">{leadError}</p>}
            {integration && missingOffer && <MissingOffer integration={integration} routed={integration.offers.length > 0} />}
            <button type="button" className="lf-link-btn" onClick={() => setLeadText(sampleText)}>
              Reset to the sample
            </button>
          </div>
        ) : (
          <div className="lf-field">
            <select
              className="lf-input"
              value={leadId}
              onChange={(e) => setLeadId(e.target.value === '' ? '' : Number(e.target.value))}
              aria-label="Stored lead"
            >
              <option value="">choose a lead…</option>
              {storedLeads.map((l) => (
                <option key={l.id} value={l.id}>
                  #{l.id} {l.name ?? ''} {l.phone ?? ''} · {l.stage}
                </option>
              ))}
            </select>
            {storedLeads.length === 0 && <p className="lf-help">This integration has no leads yet.</p>}
          </div>
        ))}
      {hasTrigger && (
        <div className="lf-field">
          <label className="lf-field__label">
            {meta.event === 'postback.in' ? 'The target’s postback (query and body)' : 'The batch the status check starts with'}
          </label>
          <textarea
            className="lf-input lf-input--mono"
            rows={6}
            spellCheck={false}
            value={triggerText}
            onChange={(e) => setTriggerText(e.target.value)}
            aria-label={meta.event === 'postback.in' ? 'Sample postback (JSON)' : 'Sample batch (JSON)'}
          />
          {isStatus && (
            <p className="lf-help">Leave it empty to take this integration’s real leads the check would ask about (read only).</p>
          )}
        </div>
      )}
      {pinned.length > 0 && (
        <p className="lf-help" data-testid="pinned-list">
          Pinned, not run: {pinned.join(', ')}. The nodes after a pinned node run on its pinned output (unpin it in the node’s panel).
        </p>
      )}
      <SendForReal />
      <button
        type="button"
        className="lf-btn lf-btn--primary"
        disabled={running || !integrationId || missingOffer || (needsLead && (!!leadError || (source === 'stored' && leadId === '')))}
        onClick={() => void start()}
        data-testid="run-test"
      >
        {running ? 'Running…' : send === 'real' ? '▶ Run test and send' : '▶ Run test'}
      </button>
      {run && <RunSummary run={run} nodes={nodes} />}
    </div>
  );
}
