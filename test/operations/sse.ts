/**
 * Reading a server-sent event stream over real HTTP, as a browser's EventSource would: the
 * events as they come, each with its name and parsed JSON data.
 */
export interface StreamEvent {
  event: string;
  data: any;
}

export interface EventReader {
  /** Waits for the next event that `match` accepts (earlier ones are dropped), or fails after `timeoutMs`. */
  next(match?: (event: StreamEvent) => boolean, timeoutMs?: number): Promise<StreamEvent>;
  /** Every event read so far. */
  seen: StreamEvent[];
  contentType: string | null;
  close(): void;
}

export async function readEvents(url: string, cookie: string): Promise<EventReader> {
  const abort = new AbortController();
  const response = await fetch(url, { headers: { cookie, accept: 'text/event-stream' }, signal: abort.signal });
  if (response.status !== 200 || !response.body) throw new Error(`the stream answered ${response.status}: ${await response.text()}`);
  const seen: StreamEvent[] = [];
  const queue: StreamEvent[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  void (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let at: number;
        while ((at = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, at);
          buffer = buffer.slice(at + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length === 0) continue;
          const parsed = { event, data: JSON.parse(data.join('\n')) };
          seen.push(parsed);
          queue.push(parsed);
          wake?.();
        }
      }
    } catch {
      // aborted
    }
    ended = true;
    wake?.();
  })();
  return {
    seen,
    contentType: response.headers.get('content-type'),
    async next(match = () => true, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        while (queue.length > 0) {
          const event = queue.shift() as StreamEvent;
          if (match(event)) return event;
        }
        if (ended) throw new Error('the stream ended before the event came');
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no such event within ${timeoutMs} ms (seen: ${seen.map((e) => e.event).join(', ')})`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, left).unref();
        });
        wake = undefined;
      }
    },
    close: () => abort.abort(),
  };
}
