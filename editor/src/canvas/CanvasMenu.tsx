/**
 * The canvas's right-click menu: on a node (delete, duplicate, disable or enable, add a note
 * beside it), on a note (delete) and on the empty canvas (add a note, paste, tidy up). Every item
 * is one command of `commands.ts`; the menu closes on a choice, Escape or a click elsewhere.
 */
import { useEffect, useRef } from 'react';
import { currentDoc, flowEdits } from './document.ts';
import { addNoteNear, deleteNode, duplicate, paste, tidyUp, toggleDisabled } from './commands.ts';
import { parseClipboard } from './clipboard.ts';
import { openCurlImport } from '../curl/import.ts';
import { notify } from '../app/notices.ts';
import type { Point } from './layout.ts';

/** Where the menu was asked for: the screen point, the flow point, and what is under it. */
export interface MenuRequest {
  screen: Point;
  flow: Point;
  nodeId?: string;
  noteId?: string;
}

interface Item {
  label: string;
  run(): void | Promise<void>;
  danger?: boolean;
}

async function pasteFromClipboard(at: Point): Promise<void> {
  let text: string;
  try {
    text = await navigator.clipboard.readText();
  } catch {
    notify('error', 'The browser did not let the page read the clipboard: click the canvas and press Ctrl+V instead.');
    return;
  }
  const clip = parseClipboard(text);
  if (clip) paste(clip, at);
  else if (/^\s*curl\s/.test(text)) openCurlImport(text, at);
  else notify('error', 'The clipboard holds no nodes (copy nodes with Ctrl+C) and no curl command.');
}

function itemsFor(request: MenuRequest): Item[] {
  if (request.noteId) {
    const noteId = request.noteId;
    return [{ label: 'Delete note', danger: true, run: () => void flowEdits.deleteNotes([noteId]) }];
  }
  if (request.nodeId) {
    const nodeId = request.nodeId;
    const node = currentDoc()?.nodes.find((n) => n.id === nodeId);
    return [
      { label: 'Duplicate', run: () => void duplicate(nodeId) },
      { label: node?.disabled ? 'Enable' : 'Disable (skip when the flow runs)', run: () => toggleDisabled(nodeId) },
      {
        label: 'Add a note',
        run: () => void addNoteNear(node ? { x: node.position.x, y: node.position.y + 110 } : request.flow),
      },
      { label: 'Delete', danger: true, run: () => deleteNode(nodeId) },
    ];
  }
  return [
    { label: 'Add a note here', run: () => void addNoteNear(request.flow) },
    { label: 'Paste here', run: () => pasteFromClipboard(request.flow) },
    { label: 'Tidy up', run: () => tidyUp() },
  ];
}

export function CanvasMenu({ request, onClose }: { request: MenuRequest; onClose(): void }) {
  const box = useRef<HTMLDivElement>(null);
  const items = itemsFor(request);
  useEffect(() => {
    box.current?.querySelector('button')?.focus();
    const away = (event: PointerEvent) => {
      if (!box.current?.contains(event.target as Node)) onClose();
    };
    const escape = (event: KeyboardEvent) => event.key === 'Escape' && onClose();
    window.addEventListener('pointerdown', away, true);
    window.addEventListener('keydown', escape);
    return () => {
      window.removeEventListener('pointerdown', away, true);
      window.removeEventListener('keydown', escape);
    };
  }, [onClose]);
  // kept inside the window, whichever corner was clicked
  const left = Math.min(request.screen.x, window.innerWidth - 240);
  const top = Math.min(request.screen.y, window.innerHeight - items.length * 34 - 16);
  return (
    <div ref={box} className="lf-menu" role="menu" style={{ left, top }} data-testid="canvas-menu">
      {items.map((item) => (
        <button
          key={item.label}
          type="button"
          role="menuitem"
          className={`lf-menu__item${item.danger ? ' is-danger' : ''}`}
          onClick={() => {
            onClose();
            void item.run();
          }}
        >
          {item.label}
        </button>
      ))}
    </div>
  );
}
