import { describe, expect, it } from 'vitest';
import { layoutFlow, needsLayout, overlaps, placeInView, type Box } from '../../editor/src/canvas/layout.ts';

const chain = (n: number) => ({
  nodes: Array.from({ length: n }, (_, i) => ({ id: `n${i}`, position: { x: 0, y: 0 } })),
  edges: Array.from({ length: n - 1 }, (_, i) => ({ source: `n${i}`, target: `n${i + 1}` })),
});

const boxes = (positions: Map<string, { x: number; y: number }>): Box[] =>
  [...positions.values()].map((p) => ({ ...p, width: 200, height: 80 }));

describe('laying a flow out', () => {
  it('asks for a layout when nodes were never placed or overlap, not when they stand apart', () => {
    expect(needsLayout(chain(3).nodes)).toBe(true);
    expect(needsLayout([{ id: 'a', position: { x: 0, y: 0 } }])).toBe(false);
    expect(
      needsLayout([
        { id: 'a', position: { x: 0, y: 0 } },
        { id: 'b', position: { x: 260, y: 0 } },
      ]),
    ).toBe(false);
    expect(
      needsLayout([
        { id: 'a', position: { x: 0, y: 0 }, size: { width: 300, height: 80 } },
        { id: 'b', position: { x: 260, y: 0 } },
      ]),
    ).toBe(true);
  });

  it('lays a chain out left to right along its edges, nothing overlapping, from where the flow was', () => {
    const { nodes, edges } = chain(10);
    const placed = layoutFlow(nodes, edges);
    const xs = nodes.map((n) => placed.get(n.id)!.x);
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
    expect(new Set(xs).size).toBe(10);
    expect(Math.min(...xs)).toBe(0);
    const all = boxes(placed);
    for (let i = 0; i < all.length; i++) for (let j = i + 1; j < all.length; j++) expect(overlaps(all[i], all[j])).toBe(false);
  });

  it('puts the branches of one node one under the other, on the 10 px grid', () => {
    const placed = layoutFlow(
      [
        { id: 'if', position: { x: 0, y: 0 } },
        { id: 'yes', position: { x: 0, y: 0 } },
        { id: 'no', position: { x: 0, y: 0 } },
      ],
      [
        { source: 'if', target: 'yes' },
        { source: 'if', target: 'no' },
      ],
    );
    expect(placed.get('yes')!.x).toBe(placed.get('no')!.x);
    expect(placed.get('yes')!.y).not.toBe(placed.get('no')!.y);
    for (const p of placed.values()) expect([p.x % 10, p.y % 10].map(Math.abs)).toEqual([0, 0]);
  });
});

describe('placing new nodes', () => {
  const view: Box = { x: 0, y: 0, width: 1000, height: 600 };
  const size = { width: 200, height: 80 };

  it('takes the spot asked for when it is free and inside the view', () => {
    expect(placeInView(size, [], view, { x: 400, y: 300 })).toEqual({ x: 400, y: 300 });
  });

  it('moves off a node in the way, staying inside the view', () => {
    const taken = [{ x: 380, y: 280, width: 200, height: 80 }];
    const at = placeInView(size, taken, view, { x: 400, y: 300 });
    const box = { ...at, ...size };
    expect(overlaps(box, taken[0])).toBe(false);
    expect(box.x).toBeGreaterThanOrEqual(view.x);
    expect(box.x + box.width).toBeLessThanOrEqual(view.x + view.width);
    expect(box.y + box.height).toBeLessThanOrEqual(view.y + view.height);
  });

  it('brings a spot asked for outside the view into it', () => {
    const at = placeInView(size, [], view, { x: 5000, y: -400 });
    expect(at.x + size.width).toBeLessThanOrEqual(1000);
    expect(at.y).toBeGreaterThanOrEqual(0);
  });

  it('goes beside what fills the view rather than on top of it', () => {
    const full = [{ x: 0, y: 0, width: 1000, height: 600 }];
    const at = placeInView(size, full, view);
    expect(overlaps({ ...at, ...size }, full[0])).toBe(false);
  });
});
