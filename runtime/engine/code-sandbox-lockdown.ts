/**
 * The lockdown a warm stage (code-sandbox-warm.ts) runs once, before it compiles its script: after
 * it, nothing a script can reach in the context but its own objects can be changed, so a run has
 * nowhere to leave anything for the next one. Trusted guest code, evaluated by the host on a stage
 * no script has touched; it returns `[prepare, whole]` to the host (never to a script):
 * - `prepare(json)`: parses `[seed, input, lead, offer, integration]`, re-seeds `Math.random` from
 *   `seed` and gives the four globals (so the random sequence of a run owes nothing to the runs before);
 * - `whole(fn, text)`: whether `fn`'s source is exactly `text` (the compiled script is one
 *   function), and if so freezes `fn`.
 *
 * What it does, in order:
 * 1. `FinalizationRegistry` becomes a constructor that throws: its callbacks run whenever the
 *    collector finds their object, which may be in a later run (a script using it fails on the warm
 *    stage, and is run again on a fresh one, where it works as before).
 * 2. `Math.random` becomes xoshiro128** on a state only `prepare` sets.
 * 3. Every object reachable from the global object, `helpers`, `console` and the intrinsics a
 *    script reaches through syntax rather than names (the prototypes of async and generator
 *    functions, of iterators, iterator helpers, `%TypedArray%`…) is walked: prototypes, property
 *    values, getters and setters.
 * 4. On every such object but the global one, each writable data property becomes an accessor:
 *    reading gives the value, assigning on the shared object throws, and assigning on an object
 *    that inherits it (`error.name = …`, `obj.toString = …`) defines the property on that object,
 *    as it would in a fresh context (freezing alone would refuse it: JavaScript's "override mistake").
 * 5. Every object walked, and every accessor made, is frozen.
 */
export const LOCKDOWN = `(function lockdown(helpers) {
  'use strict';
  const { defineProperty, getOwnPropertyDescriptor, getPrototypeOf, freeze } = Object;
  const { ownKeys, apply } = Reflect;
  const parse = JSON.parse;
  const imul = Math.imul;
  const functionToString = Function.prototype.toString;
  const seen = new Set();
  const has = Set.prototype.has;
  const add = Set.prototype.add;
  const push = Array.prototype.push;
  const pop = Array.prototype.pop;

  // 1. no callback may outlive its run
  defineProperty(globalThis, 'FinalizationRegistry', {
    value: function FinalizationRegistry() {
      throw new TypeError('FinalizationRegistry is not available in a reused sandbox context');
    },
    writable: true,
    configurable: true,
  });

  // 2. Math.random from a state each run sets anew
  let s0 = 1, s1 = 2, s2 = 3, s3 = 4;
  const rotl = (x, k) => (x << k) | (x >>> (32 - k));
  const next = () => {
    const result = imul(rotl(imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t; s3 = rotl(s3, 11);
    return result;
  };
  defineProperty(Math, 'random', {
    value: { random() { return ((next() >>> 5) * 67108864 + (next() >>> 6)) / 9007199254740992; } }.random,
    writable: true,
    configurable: true,
  });

  // 3. everything a script can reach, by name or by syntax
  const queue = [globalThis, helpers];
  const reach = (make) => { try { apply(push, queue, [make()]); } catch { /* not in this QuickJS */ } };
  reach(() => async function () {});
  reach(() => async () => {});
  reach(() => function* () {});
  reach(() => (function* () {})());
  reach(() => async function* () {});
  reach(() => (async function* () {})());
  reach(() => [][Symbol.iterator]());
  reach(() => new Map().entries());
  reach(() => new Set().values());
  reach(() => ''[Symbol.iterator]());
  reach(() => /a/[Symbol.matchAll](''));
  reach(() => [].values().map((x) => x));
  reach(() => Iterator.from({ next() { return { done: true }; } }));
  reach(() => (function () { return arguments; })());
  reach(() => (function () { 'use strict'; return arguments; })());
  reach(() => (async () => {})());
  reach(() => class {});
  const objects = [];
  while (queue.length > 0) {
    const value = apply(pop, queue, []);
    if (value === null || (typeof value !== 'object' && typeof value !== 'function') || apply(has, seen, [value])) continue;
    apply(add, seen, [value]);
    apply(push, objects, [value]);
    apply(push, queue, [getPrototypeOf(value)]);
    for (const key of ownKeys(value)) {
      const property = getOwnPropertyDescriptor(value, key);
      if ('value' in property) apply(push, queue, [property.value]);
      else apply(push, queue, [property.get, property.set]);
    }
  }

  // 4. assigning an inherited property still works on the script's own objects
  const tame = (object, key, value, enumerable) => {
    const accessor = {
      get() { return value; },
      set(replacement) {
        if (this === object) throw new TypeError('Cannot assign to ' + String(key) + ' of a shared built-in (the sandbox reuses its context)');
        defineProperty(this, key, { value: replacement, writable: true, enumerable: true, configurable: true });
      },
    };
    defineProperty(object, key, { get: accessor.get, set: accessor.set, enumerable, configurable: false });
    freeze(accessor.get);
    freeze(accessor.set);
  };
  for (const object of objects) {
    if (object === globalThis) continue;
    for (const key of ownKeys(object)) {
      const property = getOwnPropertyDescriptor(object, key);
      if ('value' in property && property.writable && property.configurable) tame(object, key, property.value, property.enumerable);
    }
  }

  // 5. and nothing shared changes again
  for (const object of objects) freeze(object);

  const prepare = (json) => {
    const all = parse(json);
    const seed = all[0];
    s0 = seed[0] | 0; s1 = seed[1] | 0; s2 = seed[2] | 0; s3 = seed[3] | 0;
    if ((s0 | s1 | s2 | s3) === 0) s0 = 1;
    return [all[1], all[2], all[3], all[4]];
  };
  const whole = (fn, text) => {
    if (typeof fn !== 'function' || apply(functionToString, fn, []) !== text) return false;
    freeze(fn);
    return true;
  };
  return [prepare, whole];
})`;
