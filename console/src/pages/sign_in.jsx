// Sign-in: "Email", "Password", "Sign in". The server's problem+json decides
// what is wrong; this page only shows it (summary on top, each field's error
// beside the field) and the wait after too many attempts.
import { useState } from 'preact/hooks';

import { ErrorSummary, Field, PageTitle } from '../components.jsx';
import { signIn } from '../session.js';
import { signInErrors } from '../sign_in_errors.js';

export function SignIn({ onSignedIn }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState({ summary: [], fields: {} });

  const submit = async (e) => {
    e.preventDefault();
    setBusy(true);
    try {
      const s = await signIn(email.trim(), password);
      setPassword('');
      onSignedIn(s);
    } catch (err) {
      setErrors(signInErrors(err));
      setBusy(false);
    }
  };

  return (
    <main id="main" class="sign-in">
      <p class="sign-in__brand">smsgate</p>
      <PageTitle>Sign in</PageTitle>
      <ErrorSummary errors={errors.summary} />
      <form class="form" onSubmit={submit} noValidate>
        <Field
          id="email"
          label="Email"
          type="email"
          autocomplete="username"
          spellcheck={false}
          value={email}
          error={errors.fields.email}
          onInput={(e) => setEmail(e.currentTarget.value)}
        />
        <Field
          id="password"
          label="Password"
          type="password"
          autocomplete="current-password"
          value={password}
          error={errors.fields.password}
          onInput={(e) => setPassword(e.currentTarget.value)}
        />
        <button type="submit" class="button" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
