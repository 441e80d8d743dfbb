/**
 * A read-only value with a Copy button (a postback URL, an intake key shown once); `children` are
 * further buttons on the same row.
 */
import type { ReactNode } from 'react';
import { copyToClipboard } from './copy.ts';

export function CopyField({
  value,
  label,
  testId,
  copyTestId,
  children,
}: {
  value: string;
  label: string;
  testId?: string;
  copyTestId?: string;
  children?: ReactNode;
}) {
  return (
    <div className="lf-row">
      <input
        className="lf-input lf-input--mono"
        readOnly
        value={value}
        onFocus={(e) => e.target.select()}
        aria-label={label}
        data-testid={testId}
      />
      <button type="button" className="lf-btn lf-btn--small" onClick={() => copyToClipboard(value)} data-testid={copyTestId}>
        Copy
      </button>
      {children}
    </div>
  );
}
