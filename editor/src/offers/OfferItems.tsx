/**
 * An offer's goals (what a webmaster is paid for: a sale, a confirmed order) or products (what a
 * lead's `goods` name), each with its id, name, a product's price, and parameters of its own that
 * flows read the way they read the offer's.
 */
import { KeyValueRows } from '../app/KeyValueRows.tsx';
import type { ItemDraft } from './draft.ts';

export function OfferItems({
  kind,
  items,
  onChange,
}: {
  kind: 'goal' | 'product';
  items: ItemDraft[];
  onChange(items: ItemDraft[]): void;
}) {
  const set = (i: number, item: ItemDraft) => onChange(items.map((it, j) => (j === i ? item : it)));
  return (
    <div data-testid={`${kind}s`}>
      {items.length === 0 && <p className="lf-muted lf-small">No {kind}s yet.</p>}
      {items.map((item, i) => (
        <div className="lf-offer-item" key={i} data-testid={`${kind}-${i}`}>
          <div className="lf-row">
            <label className="lf-offer-item__field">
              <span className="lf-muted lf-small">id</span>
              <input
                className="lf-input lf-input--mono"
                value={item.id}
                placeholder={kind === 'goal' ? 'sale' : 'tea-30'}
                aria-label={`${kind} ${i + 1} id`}
                onChange={(e) => set(i, { ...item, id: e.target.value })}
              />
            </label>
            <label className="lf-offer-item__field lf-offer-item__field--wide">
              <span className="lf-muted lf-small">name</span>
              <input
                className="lf-input"
                value={item.name}
                placeholder={kind === 'goal' ? 'Confirmed sale' : '30 tea bags'}
                aria-label={`${kind} ${i + 1} name`}
                onChange={(e) => set(i, { ...item, name: e.target.value })}
              />
            </label>
            {kind === 'product' && (
              <label className="lf-offer-item__field">
                <span className="lf-muted lf-small">price</span>
                <input
                  className="lf-input"
                  value={item.price}
                  inputMode="decimal"
                  placeholder="39.90"
                  aria-label={`product ${i + 1} price`}
                  onChange={(e) => set(i, { ...item, price: e.target.value })}
                />
              </label>
            )}
            <button
              type="button"
              className="lf-icon-btn"
              title={`Remove this ${kind}`}
              aria-label={`Remove ${kind} ${i + 1}`}
              onClick={() => onChange(items.filter((_, j) => j !== i))}
            >
              ×
            </button>
          </div>
          <KeyValueRows
            rows={item.rows}
            onChange={(rows) => set(i, { ...item, rows })}
            emptyValue=""
            label={`${kind} ${i + 1} parameter`}
            keyPlaceholder="parameter"
            addLabel={`+ Add a parameter of this ${kind}`}
          />
        </div>
      ))}
      <button
        type="button"
        className="lf-btn lf-btn--small"
        onClick={() => onChange([...items, { id: '', name: '', price: '', rows: [] }])}
        data-testid={`add-${kind}`}
      >
        + Add {kind}
      </button>
    </div>
  );
}
