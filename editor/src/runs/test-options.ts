/**
 * How the editor's test runs run, beside the flow: whether requests go to the target ("Send for
 * real", off by default, never remembered) and the pinned node outputs of each flow. Pins are kept
 * per flow in this browser (localStorage) while editing and sent with every test run; they are
 * never part of the flow document, so publishing a flow never carries a pin (see
 * `TestRunRequest.pins` in core/api.ts).
 */
import { create } from 'zustand';
import type { TestSendMode } from '../../../core/api.ts';

/** Pinned outputs by node id. */
export type Pins = Record<string, unknown>;

const NO_PINS: Pins = {};
const storageKey = (flowId: string) => `leadflow.pins.${flowId}`;

function load(flowId: string): Pins {
  try {
    const text = localStorage.getItem(storageKey(flowId));
    const value: unknown = text ? JSON.parse(text) : undefined;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Pins) : NO_PINS;
  } catch {
    return NO_PINS;
  }
}

function save(flowId: string, pins: Pins): void {
  try {
    if (Object.keys(pins).length === 0) localStorage.removeItem(storageKey(flowId));
    else localStorage.setItem(storageKey(flowId), JSON.stringify(pins));
  } catch {
    // a full or blocked storage keeps the pins for this page only
  }
}

interface TestOptions {
  send: TestSendMode;
  /** Pins of the flows opened in this page, by flow id (loaded from storage on first use). */
  pins: Record<string, Pins>;
  setSend(send: TestSendMode): void;
  pin(flowId: string, nodeId: string, output: unknown): void;
  unpin(flowId: string, nodeId: string): void;
}

export const useTestOptions = create<TestOptions>()((set, get) => ({
  send: 'dry',
  pins: {},
  setSend(send) {
    set({ send });
  },
  pin(flowId, nodeId, output) {
    const pins = { ...pinsOf(flowId), [nodeId]: output };
    save(flowId, pins);
    set({ pins: { ...get().pins, [flowId]: pins } });
  },
  unpin(flowId, nodeId) {
    const { [nodeId]: _gone, ...pins } = pinsOf(flowId);
    save(flowId, pins);
    set({ pins: { ...get().pins, [flowId]: pins } });
  },
}));

/** A flow's pins now (outside React: when a run starts). */
export function pinsOf(flowId: string): Pins {
  return useTestOptions.getState().pins[flowId] ?? load(flowId);
}

/** A flow's pins, re-rendering when they change. */
export function usePins(flowId: string | undefined): Pins {
  const kept = useTestOptions((s) => (flowId ? s.pins[flowId] : undefined));
  return kept ?? (flowId ? load(flowId) : NO_PINS);
}
