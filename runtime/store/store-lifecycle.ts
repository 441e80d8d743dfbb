/**
 * What every record backend object has beside its records: the store's identity and its end.
 */

/** The store's identity (delivery keys start with it) and its close. */
export interface StoreLifecycle {
  /**
   * A random id made once, when the store was created, and never again: a wiped and recreated
   * store gets a new one. Delivery keys start with it, so two stores never send the same key.
   */
  storeId(): Promise<string>;

  /** Ends the store once every write it accepted is committed; nothing is called on it afterwards. */
  close(): Promise<void>;
}
