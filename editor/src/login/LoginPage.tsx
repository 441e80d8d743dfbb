/**
 * The login page: name and password, `POST /api/session`. Shown when nobody is logged in (the
 * session query answered 401) and wherever a 401 sent the editor (`#/login`); after logging in the
 * editor goes back to the screen it came from.
 */
import { useState, type FormEvent } from 'react';
import { RETURN_KEY } from '../api/client.ts';
import { useLogIn } from '../api/mutations.ts';

export function LoginPage() {
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const logIn = useLogIn();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    logIn.mutate(
      { name, password },
      {
        onSuccess: () => {
          const back = sessionStorage.getItem(RETURN_KEY);
          sessionStorage.removeItem(RETURN_KEY);
          const here = location.hash.startsWith('#/login') ? '#/' : location.hash;
          location.hash = back && !back.startsWith('#/login') ? back : here;
        },
      },
    );
  };

  return (
    <div className="lf-page lf-page--narrow" data-testid="login-page">
      <h1>Log in to leadflow</h1>
      <form className="lf-box" onSubmit={submit}>
        <label className="lf-field">
          <span className="lf-field__label">Name</span>
          <input
            className="lf-input"
            name="name"
            autoComplete="username"
            value={name}
            onChange={(e) => setName(e.target.value)}
            autoFocus
            data-testid="login-name"
          />
        </label>
        <label className="lf-field">
          <span className="lf-field__label">Password</span>
          <input
            className="lf-input"
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            data-testid="login-password"
          />
        </label>
        {logIn.error && (
          <p className="lf-field__error" role="alert" data-testid="login-error">
            {logIn.error.message}
          </p>
        )}
        <div className="lf-actions">
          <button
            className="lf-btn lf-btn--primary"
            type="submit"
            disabled={logIn.isPending || !name || !password}
            data-testid="login-submit"
          >
            Log in
          </button>
        </div>
        <p className="lf-help">
          After the first <code>npm start</code> the admin is <code>admin</code>, with the password printed once on the console (or the one
          in <code>LEADFLOW_ADMIN_PASSWORD</code>).
        </p>
      </form>
    </div>
  );
}
