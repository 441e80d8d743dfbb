/**
 * The address inside the hash: `#/section/id?key=value`. The path picks the screen, the query holds
 * a screen's filters, so a filtered list can be linked to and comes back after the browser's Back.
 */
import { useSyncExternalStore } from 'react';

function subscribe(callback: () => void) {
  window.addEventListener('hashchange', callback);
  return () => window.removeEventListener('hashchange', callback);
}

const readHash = () => location.hash;

function useHash(): string {
  return useSyncExternalStore(subscribe, readHash);
}

/** The path's parts: `#/leads/12?stage=new` → `['leads', '12']`. */
export function useRoute(): string[] {
  const path = useHash().replace(/^#\/?/, '').split('?')[0];
  return path.split('/').filter(Boolean).map(decodeURIComponent);
}

/** The query part as a string (stable while it does not change, so it can be an effect's dependency). */
export function useHashQuery(): string {
  const hash = useHash();
  const at = hash.indexOf('?');
  return at < 0 ? '' : hash.slice(at + 1);
}

/** `#/path?query` with the values that are set. */
export function hrefOf(path: string, query: Record<string, string | number | undefined> = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '') params.set(key, String(value));
  const text = params.toString();
  return `#/${path}${text ? `?${text}` : ''}`;
}
