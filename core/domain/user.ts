/**
 * People who log in to the editor and the management API, and what each role may do.
 * - `admin`: everything, users included;
 * - `integrator`: flows, integrations, offers, sources, leads — no user management;
 * - `viewer`: reads only — no secrets, no tokens, no keys, no Code node runs.
 */
export const ROLES = ['admin', 'integrator', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

/** The user a request acts for, as the session middleware leaves it (`res.locals.user`). */
export interface SessionUser {
  id: string;
  name: string;
  role: Role;
}
