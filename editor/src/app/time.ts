/**
 * The one way the editor shows when something happened (a lead, a run, a step, a delivery): to the
 * second, with the time zone named, so two screens and two operators read the same moment alike.
 */

/**
 * A stored ISO time in the browser's time zone, to the second, the zone named.
 * @example formatTime('2026-12-01T16:20:05.120Z') // '1 Dec, 17:20:05 CET' (in Berlin); the year when it is not this one
 */
export function formatTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const sameYear = date.getFullYear() === new Date().getFullYear();
  return date.toLocaleString(undefined, {
    day: 'numeric',
    month: 'short',
    year: sameYear ? undefined : 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    timeZoneName: 'short',
  });
}

/** The start of a day picked in a date field (`2026-12-01`, the browser's zone) as an ISO time; undefined for none. */
export function dayStart(day: string, plusDays = 0): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  const date = new Date(`${day}T00:00:00`);
  if (Number.isNaN(date.getTime())) return undefined;
  date.setDate(date.getDate() + plusDays);
  return date.toISOString();
}
