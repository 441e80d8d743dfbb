/**
 * A URL that carries a secret in its query (the postback URL's `token=`): shown with the secret's
 * value masked until "Show", copied whole by "Copy" whether shown or not.
 */
import { useState } from 'react';
import { copyToClipboard } from '../app/copy.ts';

const MASK = '••••••••';

/** The URL with the value of each `param=` in its query masked (the rest, macros included, as written). */
export function maskedUrl(url: string, param = 'token'): string {
  return url.replace(new RegExp(`([?&]${param}=)[^&#]*`, 'g'), `$1${MASK}`);
}

export function SecretUrlField({ value, label, testId }: { value: string; label: string; testId?: string }) {
  const [shown, setShown] = useState(false);
  const copy = () => copyToClipboard(value, 'show the URL, select it and copy it by hand');
  return (
    <div className="lf-row">
      <input
        className="lf-input lf-input--mono"
        readOnly
        value={shown ? value : maskedUrl(value)}
        onFocus={(e) => e.target.select()}
        aria-label={label}
        data-testid={testId}
      />
      <button
        type="button"
        className="lf-btn lf-btn--small"
        onClick={() => setShown(!shown)}
        aria-pressed={shown}
        data-testid={testId && `${testId}-show`}
      >
        {shown ? 'Hide' : 'Show'}
      </button>
      <button type="button" className="lf-btn lf-btn--small" onClick={() => void copy()} data-testid={testId && `${testId}-copy`}>
        Copy
      </button>
    </div>
  );
}
