/**
 * Runs work for a key one after another: each waits for the one before it, whatever that came to.
 * The PostgreSQL tokens use it too, so a process holds one database lock per key, not one per run.
 */
export class SingleFlight {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const run = previous.then(work);
    const tail = run.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return run;
  }
}
