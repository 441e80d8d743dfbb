/**
 * Short messages at the bottom of the screen ("Saved as version 4", "No URL in this curl
 * command"). Kept apart from the editor store: they belong to every screen.
 */
import { create } from 'zustand';

export interface Notice {
  id: number;
  tone: 'info' | 'success' | 'error';
  text: string;
  /** Extra lines (a curl import's notes, a save's problems). */
  details?: string[];
}

interface NoticeState {
  notices: Notice[];
  push(notice: Omit<Notice, 'id'>, ms?: number): void;
  dismiss(id: number): void;
}

let next = 1;

export const useNotices = create<NoticeState>()((set, get) => ({
  notices: [],
  push(notice, ms = notice.tone === 'error' ? 9000 : notice.details ? 12000 : 3500) {
    const id = next++;
    set((s) => ({ notices: [...s.notices.slice(-3), { ...notice, id }] }));
    setTimeout(() => get().dismiss(id), ms);
  },
  dismiss(id) {
    set((s) => ({ notices: s.notices.filter((n) => n.id !== id) }));
  },
}));

export const notify = (tone: Notice['tone'], text: string, details?: string[]) => useNotices.getState().push({ tone, text, details });
