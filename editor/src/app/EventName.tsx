/**
 * An event as the editor shows it: in words, from the kernel's one table
 * (core/domain/event-names.ts), with its id in the tooltip for those who know it.
 *
 * @example
 * <EventName event="lead.new" /> // When a new lead arrives
 */
import { eventName } from '../../../core/domain/event-names.ts';

export function EventName({ event }: { event: string }) {
  return (
    <span className="lf-event" title={event} data-event={event}>
      {eventName(event)}
    </span>
  );
}
