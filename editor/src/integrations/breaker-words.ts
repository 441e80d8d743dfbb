import type { BreakerView } from '../api/client.ts';
import { formatTime as time } from '../app/time.ts';

/**
 * The circuit breaker in words: the target answering normally, or failing and held for how long
 * after how many failures in a row (the hold is from when it opened to the next probe).
 */
export function breakerInWords(breaker: BreakerView): { title: string; detail: string } {
  if (breaker.state === 'closed') {
    return {
      title: 'Target answering normally',
      detail: breaker.consecutiveFailures > 0 ? `${breaker.consecutiveFailures} of ${breaker.threshold} failures in a row so far` : '',
    };
  }
  if (breaker.state === 'half-open') return { title: 'Target failing: trying one delivery', detail: 'the others wait for its answer' };
  const holdSeconds = breaker.nextProbeAt ? Math.round((Date.parse(breaker.nextProbeAt) - Date.parse(breaker.since)) / 1000) : undefined;
  return {
    title: `Target failing: paused${holdSeconds !== undefined ? ` for ${holdSeconds} s` : ''} after ${breaker.consecutiveFailures} failures`,
    detail: `deliveries held since ${time(breaker.since)}${breaker.nextProbeAt ? `, next try at ${time(breaker.nextProbeAt)}` : ''}`,
  };
}
