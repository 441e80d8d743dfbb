/** What the part costs (bench/parts/) print: rounds of one measure, the first the warm-up. */

/** Rounds each part cost runs; the first warms the JIT up and is shown but not counted. */
export const ROUNDS = 7;

/** "median 219 (least 183; rounds 693 206 …)" of per-round figures, the first round left out of the median and the least. */
export function medianAndLeast(rounds: number[]): string {
  const counted = rounds.slice(1).sort((a, b) => a - b);
  const median = counted[Math.floor(counted.length / 2)];
  return `median ${median.toFixed(1)} (least ${counted[0].toFixed(1)}; rounds ${rounds.map((r) => r.toFixed(0)).join(' ')})`;
}
