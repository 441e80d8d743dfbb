/**
 * The configuration store: what staff edit — offers, integrations (with their sealed secrets),
 * webmasters, sources and their keys, flows with their versions and drafts, users and sessions.
 * Small; the embedded backend keeps it in a lowdb JSON file (`config.json`). A PostgreSQL backend
 * keeps flow versions `UNIQUE (flow_id, version)` so two instances saving at once get two numbers.
 */
import type { Integration, Offer, Source, Webmaster } from '../../core/domain/config.ts';
import type { FlowDoc, FlowDraft, StoredFlow } from '../../core/domain/flow.ts';
import type { Role } from '../../core/domain/user.ts';

/** See {@link ConfigStore.putRouting}. */
export interface RoutingWrite {
  /** Offers stored whole. */
  offers?: Offer[];
  /** The id of an offer to delete. */
  deleteOffer?: string;
  integration?: { record: Integration; secretChanges?: Record<string, string | null> };
  /** Integration id → its `offers` list from now on; an id not stored is skipped. */
  integrationOffers?: Record<string, string[]>;
}

/** What kind of record a {@link ConfigChange} concerns; `all`: anything may have changed. */
export type ConfigChangeKind = 'offer' | 'integration' | 'webmaster' | 'source' | 'flow' | 'draft' | 'user' | 'session' | 'all';

/**
 * One committed configuration write: the kind of record and its id (`'*'` for `all`, and for a
 * write of several records of a kind at once, such as ending every expired session).
 * @example { kind: 'flow', id: 'crm-send' } // a version of flow crm-send was saved, or the flow deleted
 */
export interface ConfigChange {
  kind: ConfigChangeKind;
  id: string;
}

/** See {@link ConfigStore.onChange}. */
export type ConfigChangeListener = (change: ConfigChange) => void;

/** What staff edit: offers, integrations, webmasters, sources, flows and drafts, users and sessions. */
export interface ConfigStore {
  /**
   * Calls `listener` after each committed write, once per record it changed (a routing change: the
   * offer and each integration), whichever process wrote it: the PostgreSQL store hears every
   * runtime's writes on one database (`LISTEN/NOTIFY`, within about a second), the embedded store
   * its own. After a lost connection to the database, once listening again, it calls `listener`
   * with `{ kind: 'all', id: '*' }`: changes made meanwhile were not heard. What caches
   * configuration in memory (current flow versions, the status checks' timers) drops or refreshes
   * it here. Answers the function that stops it. Optional: a store without it never changes
   * behind its caller's back.
   * @example const stop = config.onChange?.((change) => change.kind === 'flow' && cache.delete(change.id));
   */
  onChange?(listener: ConfigChangeListener): () => void;

  /** Every offer. */
  listOffers(): Promise<Offer[]>;
  /** One offer, or undefined when there is none with this id. */
  getOffer(id: string): Promise<Offer | undefined>;
  /** Stores the offer whole, replacing the one with its id. */
  putOffer(offer: Offer): Promise<void>;
  /** Removes an offer; answers whether it existed. */
  deleteOffer(id: string): Promise<boolean>;

  /** Every integration, with its sealed secrets. */
  listIntegrations(): Promise<Integration[]>;
  /** One integration, or undefined. */
  getIntegration(id: string): Promise<Integration | undefined>;
  /**
   * The enabled integration an offer's leads are routed to (the first, when several take it). Read
   * on every lead, so a backend may hand out its record frozen instead of a copy: callers never write to it.
   */
  findIntegrationForOffer(offerId: string): Promise<Integration | undefined>;
  /**
   * Stores the integration whole. With `secretChanges`, its secrets are the stored record's as
   * they are when the write happens with these changes applied (`null` removes one), not
   * `integration.secrets`: a write built from a copy read earlier (an edit in the editor) never
   * takes back a secret the runtime renewed meanwhile ({@link setIntegrationSecret}).
   */
  putIntegration(integration: Integration, secretChanges?: Record<string, string | null>): Promise<void>;
  /**
   * Sets one secret of a stored integration, in one write that reads and changes the stored record
   * (no other write can slip between), durably: resolved once the value is on disk. Answers false
   * when there is no such integration. What a node renews at the target (runtime/services/kept-secrets.ts).
   */
  setIntegrationSecret(id: string, name: string, value: string): Promise<boolean>;
  /** Removes an integration; answers whether it existed. */
  deleteIntegration(id: string): Promise<boolean>;
  /**
   * A change of routing in one write (no other write slips between, a crash keeps all or none):
   * an offer stored whole or deleted, one integration stored as {@link putIntegration} stores it,
   * and other integrations' `offers` lists replaced (the rest of each as stored). What moving an
   * offer's new leads to another integration, or deleting a routed offer, writes.
   */
  putRouting(write: RoutingWrite): Promise<void>;

  /** Every webmaster (who gets our outgoing postbacks). */
  listWebmasters(): Promise<Webmaster[]>;
  /** One webmaster, or undefined. */
  getWebmaster(id: string): Promise<Webmaster | undefined>;
  /** Stores the webmaster whole, replacing the one with its id. */
  putWebmaster(webmaster: Webmaster): Promise<void>;
  /** Removes a webmaster; answers whether it existed. */
  deleteWebmaster(id: string): Promise<boolean>;

  /** Every source (who posts leads), with its keys' hashes. */
  listSources(): Promise<Source[]>;
  /** One source, or undefined. */
  getSource(id: string): Promise<Source | undefined>;
  /**
   * The source holding a key with this SHA-256 (hex), expired or not: the caller checks `expires_at`.
   * Read on every lead, so a backend may hand out its record frozen instead of a copy: callers never write to it.
   */
  findSourceByKeyHash(hash: string): Promise<Source | undefined>;
  /** Stores the source whole (its keys included), replacing the one with its id. */
  putSource(source: Source): Promise<void>;
  /** Removes a source; answers whether it existed. */
  deleteSource(id: string): Promise<boolean>;

  /** Flows with all their versions. */
  listFlows(): Promise<StoredFlow[]>;
  /** One flow with all its versions, or undefined. */
  getFlow(id: string): Promise<StoredFlow | undefined>;
  /** The flow at a version, or its current version. */
  getFlowVersion(id: string, version?: number): Promise<FlowDoc | undefined>;
  /**
   * Saves the document as a new version (its `version` field is set here) and makes it current.
   * With `options.message`, the version carries it; with `options.dropDraftOf` (a user id), that
   * user's draft of the flow is removed in the same write, so a publish never leaves the draft
   * it published behind.
   */
  saveFlowVersion(flow: FlowDoc, savedBy: string, options?: { message?: string; dropDraftOf?: string }): Promise<FlowDoc>;
  /** Removes the flow with its versions and every user's draft of it; answers whether the flow existed. */
  deleteFlow(id: string): Promise<boolean>;

  /** One user's draft of a flow (see {@link FlowDraft}), or undefined when they have none. */
  getFlowDraft(flowId: string, userId: string): Promise<FlowDraft | undefined>;
  /**
   * Drafts matching every field given: one user's (`userId`), one flow's (`flowId`), or all.
   * @example await config.listFlowDrafts({ userId: 'u-1' }) // what the flows list shows that user
   */
  listFlowDrafts(match: { userId?: string; flowId?: string }): Promise<FlowDraft[]>;
  /** Stores the draft whole, replacing that user's earlier draft of the flow; one per flow per user. */
  putFlowDraft(draft: FlowDraft): Promise<void>;
  /** Removes one user's draft of a flow, or, without `userId`, every user's; answers whether there was one. */
  deleteFlowDraft(flowId: string, userId?: string): Promise<boolean>;

  /** People who log in. Names are unique; the services keep them so. */
  listUsers(): Promise<StoredUser[]>;
  /** One user by id, or undefined. */
  getUser(id: string): Promise<StoredUser | undefined>;
  /** Stores the user whole, replacing the one with its id. */
  putUser(user: StoredUser): Promise<void>;

  /** Logged-in sessions, by the hash of their cookie's id. */
  /** The session whose cookie id has this hash, expired or not (the caller checks `expiresAt`). */
  getSession(idHash: string): Promise<StoredSession | undefined>;
  /** Stores a session. */
  putSession(session: StoredSession): Promise<void>;
  /** Ends one session; answers whether it existed. */
  deleteSession(idHash: string): Promise<boolean>;
  /** Ends every session of a user (disabled, password reset), and every expired one. */
  deleteSessions(match: { userId?: string; expiredBefore?: string }): Promise<number>;
}

/**
 * An account. `passwordHash` is `scrypt$N$r$p$salt$hash` (base64url parts), never answered by the API.
 */
export interface StoredUser {
  id: string;
  name: string;
  role: Role;
  passwordHash: string;
  disabled: boolean;
  createdAt: string;
}

/**
 * A logged-in session. The cookie holds a random id; only its SHA-256 is stored, so a leaked
 * `config.json` does not hand out sessions.
 */
export interface StoredSession {
  idHash: string;
  userId: string;
  createdAt: string;
  expiresAt: string;
}
