/**
 * Copying a value for the user (a URL, a key shown once): to the clipboard, saying whether it
 * worked, and when the browser refuses, how to copy it by hand.
 */
import { notify } from './notices.ts';

/** Copies `value`; `byHand` says what to do when the browser does not allow it. */
export function copyToClipboard(value: string, byHand = 'select the text and copy it by hand'): void {
  // the clipboard is there only in a secure context (https or localhost)
  if (!navigator.clipboard) {
    notify('error', `The browser did not allow copying; ${byHand}`);
    return;
  }
  navigator.clipboard
    .writeText(value)
    .then(() => notify('success', 'Copied'))
    .catch(() => notify('error', `The browser did not allow copying; ${byHand}`));
}
