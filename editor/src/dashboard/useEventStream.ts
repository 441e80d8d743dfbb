/**
 * Following a server-sent event stream of the runtime (the dashboard, long work): the latest data
 * of the events named, and whether the stream is connected. The browser's EventSource sends the
 * session cookie and reconnects by itself after a drop.
 */
import { useEffect, useState } from 'react';

export interface StreamState<T> {
  data: T | undefined;
  /** The name of the event `data` came with. */
  event: string | undefined;
  connected: boolean;
}

/**
 * `url` undefined: no stream. A change of `url` closes the old stream and opens the new one; the
 * old stream's data stays until the new one sends (the caller tells them apart).
 */
export function useEventStream<T>(url: string | undefined, events: readonly string[]): StreamState<T> {
  const [state, setState] = useState<StreamState<T>>({ data: undefined, event: undefined, connected: false });
  const names = events.join(',');
  useEffect(() => {
    if (!url) return;
    const source = new EventSource(url);
    const ended = new Set(['end']);
    source.onopen = () => setState((s) => ({ ...s, connected: true }));
    source.onerror = () => setState((s) => ({ ...s, connected: false }));
    for (const name of names.split(',')) {
      source.addEventListener(name, (message) => {
        setState({ data: JSON.parse((message as MessageEvent<string>).data) as T, event: name, connected: true });
        // the server closes a finished stream; the browser would open it again
        if (ended.has(name)) source.close();
      });
    }
    return () => source.close();
  }, [url, names]);
  return state;
}
