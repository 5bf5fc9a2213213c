// The app shell: loads the session, shows the sign-in page when there is
// none, otherwise the header (who is signed in, "Sign out"), the navigation
// and the current page.
import { useEffect, useState } from 'preact/hooks';

import { api } from './api.js';
import { LoadError, PageTitle } from './components.jsx';
import { pageFor, pagesFor } from './pages.js';
import { NotAllowed } from './pages/admin_parts.jsx';
import { ApiKeys } from './pages/api_keys.jsx';
import { Apps } from './pages/apps.jsx';
import { Audit } from './pages/audit.jsx';
import { Broadcasts } from './pages/broadcasts.jsx';
import { Contacts } from './pages/contacts.jsx';
import { Dashboard } from './pages/dashboard.jsx';
import { ErrorCodes } from './pages/error_codes.jsx';
import { Journeys } from './pages/journeys.jsx';
import { Keywords } from './pages/keywords.jsx';
import { MessagesRoute } from './pages/messages.jsx';
import { NotBuilt } from './pages/not_built.jsx';
import { Nodes } from './pages/nodes.jsx';
import { OptOuts } from './pages/optouts.jsx';
import { Providers } from './pages/providers.jsx';
import { Routes } from './pages/routes.jsx';
import { Send } from './pages/send.jsx';
import { SignIn } from './pages/sign_in.jsx';
import { Users } from './pages/users.jsx';
import { Webhooks } from './pages/webhooks.jsx';
import { Groups } from './pages/groups.jsx';
import { Segments } from './pages/segments.jsx';
import { Templates } from './pages/templates.jsx';
import { Link, navigate, useRoute } from './router.jsx';
import { loadSession, signOut } from './session.js';

const BUILT = {
  '/': Dashboard,
  '/error-codes': ErrorCodes,
  '/providers': Providers,
  '/routes': Routes,
  '/send': Send,
  '/messages': MessagesRoute,
  '/contacts': Contacts,
  '/opt-outs': OptOuts,
  '/api-keys': ApiKeys,
  '/apps': Apps,
  '/users': Users,
  '/audit': Audit,
  '/broadcasts': Broadcasts,
  '/webhooks': Webhooks,
  '/groups': Groups,
  '/segments': Segments,
  '/templates': Templates,
  '/keywords': Keywords,
  '/journeys': Journeys,
  '/nodes': Nodes,
};

export function App() {
  const [session, setSession] = useState(undefined); // undefined: loading
  const [error, setError] = useState(null);
  const path = useRoute();

  useEffect(() => {
    loadSession().then(setSession, setError);
    // A request that finds the session gone (expired, signed out elsewhere)
    // brings the sign-in page back.
    api.setOnUnauthorized(() => setSession(null));
  }, []);

  if (error) return <LoadError error={error} />;
  if (session === undefined) return <p class="loading">Loading…</p>;
  if (session === null || path === '/sign-in') {
    return (
      <SignIn
        onSignedIn={(s) => {
          setSession(s);
          if (path === '/sign-in') navigate('/');
        }}
      />
    );
  }
  return (
    <Shell
      session={session}
      path={path}
      onSignOut={async () => {
        await signOut().catch(() => {});
        setSession(null);
      }}
    />
  );
}

function Shell({ session, path, onSignOut }) {
  const [menuOpen, setMenuOpen] = useState(false);
  useEffect(() => setMenuOpen(false), [path]);
  const page = pageFor(path);
  const Page = page && BUILT[page.path];
  const nav = pagesFor(session.user.role);
  // A page above this role (its address typed or bookmarked) says so instead.
  const allowed = !page || nav.includes(page);
  return (
    <div class="shell">
      <a class="skip-link" href="#main">
        Skip to main content
      </a>
      <header class="header">
        <Link to="/" class="header__brand">
          smsgate
        </Link>
        <button
          type="button"
          class="header__menu"
          aria-expanded={menuOpen ? 'true' : 'false'}
          aria-controls="nav"
          onClick={() => setMenuOpen(!menuOpen)}
        >
          Menu
        </button>
        <div class="header__user">
          <span class="header__email">{session.user.email}</span>
          <span class="header__role">{session.user.role}</span>
          <button type="button" class="button button--secondary" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <div class="layout">
        <nav id="nav" class={menuOpen ? 'nav nav--open' : 'nav'} aria-label="Main">
          <ul class="nav__list">
            {nav.map((p) => (
              <li key={p.path}>
                <Link to={p.path} class="nav__link" aria-current={p === page ? 'page' : undefined}>
                  {p.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <main id="main" class="main" tabIndex={-1}>
          {!allowed ? <NotAllowed page={page} /> : Page ? <Page session={session} path={path} /> : page ? <NotBuilt page={page} /> : <NotFound />}
        </main>
      </div>
    </div>
  );
}

function NotFound() {
  return (
    <>
      <PageTitle>Page not found</PageTitle>
      <p>
        There is no console page at this address. <Link to="/">Go to the dashboard</Link>.
      </p>
    </>
  );
}
