/**
 * In a node's panel: pin its output (typed in, or taken from the last test run or a past
 * execution), so the nodes after it run on that output without this node running; and run this
 * node alone on its input (the last test run's input of it, or typed in), dry unless "Send for
 * real" is ticked, showing what it gave.
 */
import { useState } from 'react';
import type { TestRunAnswer } from '../../../core/api.ts';
import { api } from '../api/client.ts';
import { useExecutions } from '../api/queries.ts';
import { useTestRun } from '../api/mutations.ts';
import { useEditor } from '../canvas/store.ts';
import { currentDoc, useFlowMeta } from '../canvas/document.ts';
import { notify } from '../app/notices.ts';
import { SendForReal } from './SendForReal.tsx';
import { StepDetails } from './StepDetails.tsx';
import { formatTime } from '../app/time.ts';
import { sampleTrigger } from './TestPanel.tsx';
import { pinsOf, usePins, useTestOptions } from './test-options.ts';

const pretty = (value: unknown) => JSON.stringify(value ?? {}, null, 2);

/** The JSON typed in, or why it is not JSON. */
function parsed(text: string): { value: unknown } | { error: string } {
  try {
    return { value: JSON.parse(text) };
  } catch (e) {
    return { error: `Not valid JSON: ${(e as Error).message}` };
  }
}

/** What the node had as input in the last test run, or else what the node before it gave. */
function lastInput(nodeId: string): unknown {
  const run = useEditor.getState().run;
  if (!run) return undefined;
  const own = run.steps[nodeId];
  if (own && own.input !== undefined) return own.input;
  const edge = currentDoc()?.edges.find((e) => e.target === nodeId && run.steps[e.source]);
  return edge ? run.steps[edge.source].output : undefined;
}

export function NodeRun({ nodeId }: { nodeId: string }) {
  const meta = useFlowMeta();
  const flowId = meta?.id ?? '';
  const pins = usePins(flowId);
  const pinned = Object.hasOwn(pins, nodeId);
  const step = useEditor((s) => s.run?.steps[nodeId]);
  const integration = useEditor((s) => s.testIntegration);
  const [pinText, setPinText] = useState(() => pretty(step?.state === 'ok' ? step.output : undefined));
  const [inputText, setInputText] = useState(() => pretty(lastInput(nodeId)));
  const [result, setResult] = useState<TestRunAnswer | null>(null);
  const executions = useExecutions({ flow: flowId, limit: 20 }).data ?? [];
  const past = executions.filter((x) => x.steps.some((st) => st.nodeId === nodeId && st.state === 'ok' && st.output !== undefined));
  const testRun = useTestRun();
  if (!meta) return null;
  const pin = parsed(pinText);
  const input = parsed(inputText);

  const takeFrom = async (id: number) => {
    try {
      const execution = await api.execution(id);
      const found = execution.steps.findLast((st) => st.nodeId === nodeId);
      setPinText(pretty(found?.output));
    } catch (error) {
      notify('error', `Could not load execution #${id}: ${(error as Error).message}`);
    }
  };

  const runNode = async () => {
    const flow = currentDoc();
    if (!flow || !integration || !('value' in input)) return;
    const run = useEditor.getState().run;
    // what `{{nodes.x}}` reads: the outputs of the last test run, pins over them
    const outputs: Record<string, unknown> = {};
    for (const [id, st] of Object.entries(run?.steps ?? {})) if (st.state === 'ok') outputs[id] = st.output;
    const trigger = flow.event.startsWith('lead.') ? undefined : (run?.answer.trigger ?? sampleTrigger(flow.event));
    try {
      const answer = await testRun.mutateAsync({
        flowId: flow.id,
        integration,
        flow,
        node: nodeId,
        input: input.value,
        pins: { ...outputs, ...pinsOf(flow.id) },
        send: useTestOptions.getState().send,
        ...(trigger !== undefined ? { trigger } : {}),
      });
      setResult(answer);
      const ran = answer.execution.steps[0];
      if (ran?.state === 'ok') setPinText(pretty(ran.output));
    } catch (error) {
      notify('error', `Could not run ${nodeId}: ${(error as Error).message}`);
    }
  };

  return (
    <section className="lf-panel__section" data-testid="node-run">
      <h3>Try this node</h3>
      {pinned ? (
        <div data-testid="pinned-output">
          <p>
            <span className="lf-pill lf-pill--warn">output pinned</span>{' '}
            <span className="lf-muted">test runs do not run this node; the nodes after it get this output.</span>
          </p>
          <pre className="lf-pre">{pretty(pins[nodeId])}</pre>
          <button type="button" className="lf-btn" onClick={() => useTestOptions.getState().unpin(flowId, nodeId)} data-testid="unpin">
            Unpin
          </button>
        </div>
      ) : (
        <details>
          <summary>Pin an output</summary>
          <p className="lf-help">Test runs then skip this node and give the nodes after it this output (nothing is sent from here).</p>
          {past.length > 0 && (
            <select
              className="lf-input"
              aria-label="Take the output from a past execution"
              value=""
              onChange={(e) => e.target.value && void takeFrom(Number(e.target.value))}
            >
              <option value="">take it from a past execution…</option>
              {past.map((x) => (
                <option key={x.id} value={x.id}>
                  #{x.id} · {x.test ? 'test' : `lead ${x.leadId ?? ''}`} · {formatTime(x.startedAt)}
                </option>
              ))}
            </select>
          )}
          <textarea
            className={`lf-input lf-input--mono${'error' in pin ? ' is-invalid' : ''}`}
            rows={6}
            spellCheck={false}
            value={pinText}
            onChange={(e) => setPinText(e.target.value)}
            aria-label="Pinned output (JSON)"
          />
          {'error' in pin && <p className="lf-field__error">{pin.error}</p>}
          <button
            type="button"
            className="lf-btn"
            disabled={'error' in pin}
            onClick={() => 'value' in pin && useTestOptions.getState().pin(flowId, nodeId, pin.value)}
            data-testid="pin-output"
          >
            Pin this output
          </button>
        </details>
      )}
      <details>
        <summary>Run this node</summary>
        <p className="lf-help">Runs only this node, on the input below (what it got in the last test run, or type one in).</p>
        <textarea
          className={`lf-input lf-input--mono${'error' in input ? ' is-invalid' : ''}`}
          rows={6}
          spellCheck={false}
          value={inputText}
          onChange={(e) => setInputText(e.target.value)}
          aria-label="Input of the node (JSON)"
        />
        {'error' in input && <p className="lf-field__error">{input.error}</p>}
        <SendForReal />
        <button
          type="button"
          className="lf-btn lf-btn--primary"
          disabled={testRun.isPending || !integration || 'error' in input}
          onClick={() => void runNode()}
          data-testid="run-node"
        >
          {testRun.isPending ? 'Running…' : '▶ Run this node'}
        </button>
        {!integration && <p className="lf-help">Choose the integration in the Test tab first.</p>}
        {result && (
          <div data-testid="node-run-result">
            {result.error && <p className="lf-field__error">{result.error.message}</p>}
            <StepDetails step={result.execution.steps[0]} />
          </div>
        )}
      </details>
    </section>
  );
}
