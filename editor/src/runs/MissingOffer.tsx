/**
 * What a test run on a sample lead lacks before it can start: an offer. The runtime refuses a lead
 * without one, so the panel says so in words, with the way to fix it, and keeps "Run test" off
 * until the lead names an offer.
 */

/** The sample lead's offer, or '' when it names none (or is not an object yet). */
export function offerOfLead(leadText: string): string {
  try {
    const lead = JSON.parse(leadText) as { offer?: unknown } | null;
    return lead && typeof lead === 'object' && typeof lead.offer === 'string' ? lead.offer.trim() : '';
  } catch {
    return '';
  }
}

export function MissingOffer({ integration, routed }: { integration: { id: string; name: string }; routed: boolean }) {
  return (
    <p className="lf-field__error" role="alert" data-testid="no-offer">
      {routed ? (
        <>The sample lead names no offer: set its “offer”, or reset it to the sample.</>
      ) : (
        <>
          No offer is routed to {integration.name} yet — tick one on{' '}
          <a href={`#/integrations/${encodeURIComponent(integration.id)}`} data-testid="no-offer-link">
            its page
          </a>
          .
        </>
      )}
    </p>
  );
}
