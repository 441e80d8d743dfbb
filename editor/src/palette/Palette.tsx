/**
 * The palette: every node the runtime knows, grouped by category, with search. Drawn from the
 * descriptors alone, so a new file in `nodes/` shows up here with no editor change. Drag an entry
 * onto the canvas, or press Enter on it to drop it in the middle.
 */
import { memo, useMemo, useState, type DragEvent, type KeyboardEvent } from 'react';
import { CATEGORIES, type NodeDescriptor } from '../../../core/node/contract.ts';
import { useEditor } from '../canvas/store.ts';
import { useFlowDocument } from '../canvas/document.ts';
import { categoryClass } from '../canvas/look.ts';
import { NODE_MIME } from '../canvas/Canvas.tsx';

function fits(descriptor: NodeDescriptor, event: string | undefined): boolean {
  return descriptor.category !== 'trigger' || !descriptor.events || !event || (descriptor.events as readonly string[]).includes(event);
}

const Entry = memo(function Entry({ descriptor, onAdd }: { descriptor: NodeDescriptor; onAdd: (type: string) => void }) {
  const onDragStart = (event: DragEvent) => {
    event.dataTransfer.setData(NODE_MIME, descriptor.type);
    event.dataTransfer.setData('text/plain', descriptor.title);
    event.dataTransfer.effectAllowed = 'move';
  };
  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key === 'Enter') onAdd(descriptor.type);
  };
  return (
    <li
      className={`lf-palette__item ${categoryClass(descriptor.category)}`}
      draggable
      tabIndex={0}
      onDragStart={onDragStart}
      onKeyDown={onKeyDown}
      onDoubleClick={() => onAdd(descriptor.type)}
      data-node-type={descriptor.type}
      title={`${descriptor.description}\n\nDrag onto the canvas, or double-click to add.`}
    >
      <span className="lf-palette__dot" />
      <span className="lf-palette__text">
        <span className="lf-palette__title">{descriptor.title}</span>
        <span className="lf-palette__desc">{descriptor.description}</span>
      </span>
    </li>
  );
});

export function Palette({ onAdd }: { onAdd: (type: string) => void }) {
  const descriptors = useEditor((s) => s.descriptors);
  const event = useFlowDocument((s) => s.history?.present.event);
  const [query, setQuery] = useState('');

  const groups = useMemo(() => {
    const q = query.trim().toLowerCase();
    const all = [...descriptors.values()].filter((d) => fits(d, event));
    const matching = q ? all.filter((d) => `${d.title} ${d.description} ${d.type} ${d.category}`.toLowerCase().includes(q)) : all;
    const known = CATEGORIES as readonly string[];
    const categories = [...known, ...new Set(matching.map((d) => d.category).filter((c) => !known.includes(c)))];
    return categories
      .map((category) => ({
        category,
        items: matching.filter((d) => d.category === category).sort((a, b) => a.title.localeCompare(b.title)),
      }))
      .filter((g) => g.items.length);
  }, [descriptors, event, query]);

  return (
    <aside className="lf-palette" aria-label="Nodes">
      <input
        className="lf-input lf-palette__search"
        type="search"
        placeholder="Search nodes…"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        aria-label="Search nodes"
      />
      <div className="lf-palette__groups">
        {groups.map((group) => (
          <section key={group.category}>
            <h3 className="lf-palette__heading">{group.category}</h3>
            <ul>
              {group.items.map((d) => (
                <Entry key={d.type} descriptor={d} onAdd={onAdd} />
              ))}
            </ul>
          </section>
        ))}
        {groups.length === 0 && <p className="lf-muted lf-pad">No node matches “{query}”.</p>}
      </div>
      <p className="lf-palette__hint">Drag a node onto the canvas. Connect a node’s right dot to the next node’s left dot.</p>
    </aside>
  );
}
