/**
 * The guide, inside the editor (it works offline): the way from nothing to a live integration,
 * the events in words (the kernel's table), template values, and where the full documentation is.
 */
import { EVENT_NAMES } from '../../../core/domain/event-names.ts';
import { FLOW_EVENTS } from '../../../core/domain/config.ts';
import '../home/home.css';

export function HelpPage() {
  return (
    <div className="lf-page lf-page--narrow lf-help-page" data-testid="help-page">
      <h1>How leadflow works</h1>
      <p>
        Webmasters send leads for <b>offers</b>. Each offer&apos;s leads go to one <b>integration</b> — the connection to an
        advertiser&apos;s CRM or another network — which sends them with its <b>flows</b> and learns their status back. Every stage change
        is passed on to the webmaster&apos;s tracker as a <b>postback</b>.
      </p>

      <h2>From nothing to a live integration</h2>
      <ol>
        <li>
          <a href="#/offers">Add an offer</a>, with the parameters the target needs (its own offer id…). A parameter named{' '}
          <code>key-de</code> replaces <code>key</code> for German leads.
        </li>
        <li>
          <a href="#/integrations?new=template">Make an integration from a template</a>, or a blank one, and tick the offers it takes. Fill
          in what its checklist asks for: the target&apos;s address, credentials, offer parameters.
        </li>
        <li>
          Open its flows and test them with a sample lead (<b>Test</b> in the flow editor). Switch the integration on when its checklist is
          complete.
        </li>
        <li>
          <a href="#/sources">Add the webmaster</a> with his tracker&apos;s postback URL and try it with <b>Send a test postback</b>; give
          him (or the network posting for him) a source and its intake key.
        </li>
        <li>
          Leads posted with the key to <code>POST /api/leads</code> appear in <a href="#/leads">Leads</a>; every run of a flow, request by
          request, is in the <a href="#/log">Integration log</a>.
        </li>
      </ol>

      <h2>What starts a flow</h2>
      <table className="lf-table lf-table--compact" data-testid="help-events">
        <tbody>
          {FLOW_EVENTS.map((event) => (
            <tr key={event}>
              <td>{EVENT_NAMES[event]}</td>
              <td>
                <code className="lf-muted">{event}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>

      <h2>Values in a node&apos;s fields</h2>
      <p>
        Fields take templates: <code>{'{{lead.phone}}'}</code>, <code>{'{{offer.params.crm_offer_id}}'}</code> (the lead&apos;s country
        version when there is one), <code>{'{{secrets.api_key}}'}</code>, <code>{'{{nodes.send.body.id}}'}</code> (what an earlier node
        answered), <code>{'{{now | date:"Y-m-d H:i:s"}}'}</code>. Anything more goes in a Code node (JavaScript, without access to secrets).
      </p>

      <h2>Stages of a lead</h2>
      <p>
        <b>new</b> (accepted, not delivered yet) → <b>wait</b> (processing at the target) → <b>hold</b> → <b>approve</b>; or <b>cancel</b> /{' '}
        <b>trash</b>. A stage only moves forward, except that an approved lead may still be returned.
      </p>

      <h2>More</h2>
      <p className="lf-muted">
        The full documentation — the API, the nodes, the settings of the runtime — is the <code>README.md</code> of the leadflow folder (and{' '}
        <code>editor/README.md</code> for the editor).
      </p>
    </div>
  );
}
