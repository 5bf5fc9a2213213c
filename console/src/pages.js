// The console's pages, in navigation order: one row per page (path, label, the
// least role that sees it in the navigation, and the /v1 endpoint it is a
// client of). Pages not built yet keep their row and say so, so the structure
// is ready for them; a later feature adds a row here and a module under pages/.
export const PAGES = [
  { path: '/', label: 'Dashboard', api: '/v1/stats', built: true },
  { path: '/providers', label: 'Providers', api: '/v1/providers', built: true },
  { path: '/routes', label: 'Routes', api: '/v1/routes', built: true },
  { path: '/send', label: 'Send', api: '/v1/messages', built: true },
  { path: '/messages', label: 'Messages', api: '/v1/messages', built: true },
  { path: '/contacts', label: 'Contacts', api: '/v1/contacts', built: true },
  { path: '/groups', label: 'Groups', api: '/v1/groups', built: true },
  { path: '/segments', label: 'Segments', api: '/v1/segments', built: true },
  { path: '/templates', label: 'Templates', api: '/v1/templates', built: true },
  { path: '/broadcasts', label: 'Broadcasts', api: '/v1/broadcasts', built: true },
  { path: '/opt-outs', label: 'Opt-outs', api: '/v1/optouts', built: true },
  { path: '/keywords', label: 'Keywords', api: '/v1/keywords', built: true },
  { path: '/journeys', label: 'Journeys', api: '/v1/journeys', built: true },
  { path: '/webhooks', label: 'Webhooks', api: '/v1/webhooks', built: true },
  { path: '/api-keys', label: 'API keys', api: '/v1/keys', role: 'admin', built: true },
  { path: '/apps', label: 'Apps', api: '/v1/apps', role: 'admin', built: true },
  { path: '/users', label: 'Users', api: '/v1/users', role: 'admin', built: true },
  { path: '/audit', label: 'Audit log', api: '/v1/audit', role: 'admin', built: true },
  { path: '/error-codes', label: 'Error codes', api: '/v1/error-codes', built: true },
  { path: '/nodes', label: 'Nodes', api: '/v1/nodes', built: true },
];

const RANK = { viewer: 0, sender: 1, admin: 2 };

/** The pages a user of this role sees in the navigation. */
export function pagesFor(role) {
  const have = RANK[role] ?? -1;
  return PAGES.filter((p) => (RANK[p.role ?? 'viewer'] ?? 0) <= have);
}

/** The page row for a route path, or null (an unknown path: "Page not found").
 * A page's sub-paths ("/providers/new", "/providers/prv_…") are its own. */
export function pageFor(path) {
  return PAGES.find((p) => p.path === path || (p.path !== '/' && path.startsWith(p.path + '/'))) ?? null;
}
