/**
 * Users, for admins: create one (name, password, role), change a role, reset a password, disable
 * or enable. Disabling or a new password ends that user's sessions (the runtime does it).
 */
import { useState, type FormEvent } from 'react';
import { ROLES, type Role } from '../../../core/domain/user.ts';
import type { UserView } from '../api/client.ts';
import { useSession, useUsers } from '../api/queries.ts';
import { useCreateUser, useUpdateUser } from '../api/mutations.ts';
import { notify } from '../app/notices.ts';

const ROLE_HELP: Record<Role, string> = {
  admin: 'everything, users included',
  integrator: 'flows, integrations, offers, sources, leads; no users',
  viewer: 'reads only; no secrets, tokens or keys, no test runs',
};

function NewUser() {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('integrator');
  const create = useCreateUser();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate(
      { name, password, role },
      {
        onSuccess: (user) => {
          notify('success', `Created ${user.name} (${user.role})`);
          setName('');
          setPassword('');
        },
        onError: (error) => notify('error', `Could not create the user: ${error.message}`),
      },
    );
  };
  return (
    <form className="lf-box lf-row" onSubmit={submit} data-testid="new-user">
      <input className="lf-input" placeholder="name" value={name} onChange={(e) => setName(e.target.value)} data-testid="new-user-name" />
      <input
        className="lf-input"
        type="password"
        placeholder="password (10+ characters)"
        autoComplete="new-password"
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        data-testid="new-user-password"
      />
      <select className="lf-input" value={role} onChange={(e) => setRole(e.target.value as Role)} data-testid="new-user-role">
        {ROLES.map((r) => (
          <option key={r} value={r}>
            {r}
          </option>
        ))}
      </select>
      <button className="lf-btn lf-btn--primary" type="submit" disabled={!name || !password || create.isPending}>
        Create user
      </button>
    </form>
  );
}

function UserRow({ user, self }: { user: UserView; self: boolean }) {
  const update = useUpdateUser();
  const change = (patch: Parameters<typeof update.mutate>[0]['patch'], done: string) =>
    update.mutate(
      { id: user.id, patch },
      { onSuccess: () => notify('success', done), onError: (error) => notify('error', `${user.name}: ${error.message}`) },
    );
  const reset = () => {
    const password = window.prompt(`New password for ${user.name} (10+ characters)`);
    if (password) change({ password }, `New password set for ${user.name}; their sessions ended`);
  };
  return (
    <tr data-testid={`user-${user.name}`}>
      <td className="lf-strong">
        {user.name}
        {self && <span className="lf-muted"> (you)</span>}
      </td>
      <td>
        <select
          className="lf-input"
          value={user.role}
          disabled={self}
          title={ROLE_HELP[user.role]}
          onChange={(e) => change({ role: e.target.value as Role }, `${user.name} is now ${e.target.value}`)}
          aria-label={`Role of ${user.name}`}
        >
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
      </td>
      <td>
        {user.disabled ? <span className="lf-pill lf-pill--off">disabled</span> : <span className="lf-pill lf-pill--ok">active</span>}
      </td>
      <td className="lf-actions">
        <button className="lf-btn lf-btn--small" type="button" onClick={reset}>
          Reset password
        </button>
        {!self && (
          <button
            className="lf-btn lf-btn--small"
            type="button"
            onClick={() =>
              change({ disabled: !user.disabled }, user.disabled ? `${user.name} enabled` : `${user.name} disabled; their sessions ended`)
            }
          >
            {user.disabled ? 'Enable' : 'Disable'}
          </button>
        )}
      </td>
    </tr>
  );
}

export function UsersPage() {
  const users = useUsers();
  const me = useSession().data?.user;
  return (
    <div className="lf-page" data-testid="users-page">
      <div className="lf-page__head">
        <h1>Users</h1>
      </div>
      <NewUser />
      {users.error && <p className="lf-field__error">Could not load the users: {users.error.message}</p>}
      <table className="lf-table">
        <thead>
          <tr>
            <th>Name</th>
            <th>Role</th>
            <th>State</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(users.data ?? []).map((user) => (
            <UserRow key={user.id} user={user} self={user.id === me?.id} />
          ))}
        </tbody>
      </table>
    </div>
  );
}
