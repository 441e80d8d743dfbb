/** What the part costs (bench/parts/) print: rounds of one measure, the first the warm-up. */

/** Rounds each part cost runs; the first warms the JIT up and is shown but not counted. */
export const ROUNDS = 7;

/**
 * {@link ROUNDS} rounds of `round`, each answering how many runs (or requests) it did: this
 * process's CPU per run, in µs, per round.
 */
export async function cpuRounds(round: () => Promise<number>): Promise<number[]> {
  const perRun: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const cpu = process.cpuUsage();
    const runs = await round();
    const used = process.cpuUsage(cpu);
    perRun.push((used.user + used.system) / runs);
  }
  return perRun;
}

/** "median 219 (least 183; rounds 693 206 …)" of per-round figures, the first round left out of the median and the least. */
export function medianAndLeast(rounds: number[]): string {
  const counted = rounds.slice(1).sort((a, b) => a - b);
  const median = counted[Math.floor(counted.length / 2)];
  return `median ${median.toFixed(1)} (least ${counted[0].toFixed(1)}; rounds ${rounds.map((r) => r.toFixed(0)).join(' ')})`;
}
