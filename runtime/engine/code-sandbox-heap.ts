/**
 * The Code node's memory bound in bytes. QuickJS's own limit (`setMemoryLimit`, the node's
 * `memoryMb`) counts allocations, not bytes, in this build: without `malloc_usable_size` it adds
 * some 8 bytes per block whatever its size, so 32 MB of it let a script take ~150 MB of small
 * objects, or a GB of big strings within its second. What bounds bytes is the wasm heap itself:
 * each QuickJS module (one per worker thread, code-sandbox.ts) gets a `WebAssembly.Memory` of its
 * own, which the allocator grows (`emscripten_resize_heap`) and which never shrinks, and
 * - while a script runs (or compiles: a script escaping its wrapper runs code then), the heap may
 *   grow by at most the run's `memoryMb`: a grow past that is refused, `malloc` fails, and QuickJS
 *   throws "out of memory", which the run reports as the node's memory limit;
 * - a heap that a run left past {@link HEAP_RESTING_MB} is given back after the answer (the worker
 *   loads a new module, which starts at {@link HEAP_BASE_MB}), so a run starts in at most 48 MB;
 * - so a run takes at most its `memoryMb` plus what is free of those 48 MB, and a module never
 *   more than {@link MODULE_HEAP_MB}, its memory's `maximum`: 48 MB and the largest `memoryMb` a
 *   node may set. The pool's threads (code-sandbox-pool.ts) take at most that each.
 * The bound is on growth, not on what is in use, because the module's other stages (the ready one,
 * up to eight warm ones, the garbage of their last runs) share the heap: a run's room does not
 * depend on what they hold.
 *
 * Once its heap refused to grow, a run is over: it fails with the memory limit whatever the script
 * made of its "out of memory", its interrupt handler and helpers stop it, and its error is not read
 * back from the guest. Past a refusal the module itself is in doubt: QuickJS takes a NULL from
 * `malloc` as it takes its own limit, but quickjs-emscripten copies what the host hands in
 * (strings, argument lists) to whatever `malloc` returned, unchecked, and a NULL there writes from
 * address 0 on, over the module's static data from byte 1024 (tried: `newString` of 3,000
 * characters into a full heap dirties the first 1,024 bytes and gives back an empty string). So a
 * module whose heap refused a grow is never used again, nor disposed into: the run is `broken`,
 * and the worker loads a new module after it has answered (code-sandbox-worker.ts). A new module
 * costs some 10 ms, paid only after a run that hit its memory limit.
 */
import type { QuickJSWASMModule } from 'quickjs-emscripten-core';
import type { CodeLimits } from '../../core/node/code-sandbox.ts';

const MB = 1024 * 1024;
const PAGE = 64 * 1024;
/** The largest `memoryMb` a node may set (the Code node's param, nodes/code.ts). */
export const MAX_MEMORY_MB = 256;
/**
 * The memory a module starts with (emscripten's default): its static data and stack, and room in
 * which the ready stage and eight warm stages of small scripts fit.
 */
export const HEAP_BASE_MB = 16;
/** A heap past this after a run is given back (a new module): the base and a run at the default limit. */
export const HEAP_RESTING_MB = HEAP_BASE_MB + 32;
/** The most a module's heap ever takes (its memory's `maximum`): a resting heap and the largest run. */
export const MODULE_HEAP_MB = HEAP_RESTING_MB + MAX_MEMORY_MB;

/** A module's heap: its memory, the size a grow may reach now, and whether a grow was refused. */
export interface ModuleHeap {
  readonly memory: WebAssembly.Memory;
  /** Bytes the heap may grow to now: {@link MODULE_HEAP_MB}, or a run's bound while it runs. */
  ceiling: number;
  /** A grow was refused since the bound was last set ({@link boundHeap}): the run is over. */
  refused: boolean;
  /** A grow was ever refused: the module is retired ({@link heapSpent}). */
  strained: boolean;
}

const heaps = new WeakMap<QuickJSWASMModule, ModuleHeap>();

/**
 * A new heap for a module about to be loaded. Its `grow` refuses to pass the ceiling: emscripten's
 * allocator grows the heap through it (`emscripten_resize_heap`) and takes a refusal as out of memory.
 */
export function newModuleHeap(): ModuleHeap {
  const memory = new WebAssembly.Memory({ initial: (HEAP_BASE_MB * MB) / PAGE, maximum: (MODULE_HEAP_MB * MB) / PAGE });
  const heap: ModuleHeap = { memory, ceiling: MODULE_HEAP_MB * MB, refused: false, strained: false };
  const grow = memory.grow.bind(memory);
  memory.grow = (pages: number): number => {
    if (memory.buffer.byteLength + pages * PAGE > heap.ceiling) {
      heap.refused = heap.strained = true;
      throw new RangeError('the Code node heap may not grow further');
    }
    return grow(pages);
  };
  return heap;
}

/** Records that `quickjs` lives in `heap`. */
export function attachHeap(quickjs: QuickJSWASMModule, heap: ModuleHeap): void {
  heaps.set(quickjs, heap);
}

/** The heap of a module loaded by {@link attachHeap}'s caller (undefined for one loaded elsewhere). */
export function heapOf(quickjs: QuickJSWASMModule): ModuleHeap | undefined {
  return heaps.get(quickjs);
}

/**
 * Bounds the heap for a script's run under `limits`: it may grow by the run's `memoryMb`
 * (`extraBytes`: and what a warm stage's lockdown adds), from no refusal; {@link unboundHeap}
 * lifts the bound afterwards.
 */
export function boundHeap(heap: ModuleHeap | undefined, limits: CodeLimits, extraBytes = 0): void {
  if (!heap) return;
  heap.refused = false;
  heap.ceiling = Math.min(MODULE_HEAP_MB * MB, heap.memory.buffer.byteLength + limits.memoryMb * MB + extraBytes);
}

/**
 * Back to the module's own bound, for the sandbox's work between runs (which a refusal left over
 * from a run would interrupt); whether the run's heap was refused growth.
 */
export function unboundHeap(heap: ModuleHeap | undefined): boolean {
  if (!heap) return false;
  const refused = heap.refused;
  heap.ceiling = MODULE_HEAP_MB * MB;
  heap.refused = false;
  return refused;
}

/**
 * Whether a worker should load a new module: its heap once refused a grow (the module is in doubt),
 * or it grew past {@link HEAP_RESTING_MB} and should be given back.
 */
export function heapSpent(quickjs: QuickJSWASMModule): boolean {
  const heap = heaps.get(quickjs);
  if (!heap) return false;
  return heap.strained || heap.memory.buffer.byteLength > HEAP_RESTING_MB * MB;
}
