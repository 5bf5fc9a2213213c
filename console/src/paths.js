// Console paths: routes live under /console/ and use the History API.

export const BASE = '/console';

/** "/console/error-codes" → "/error-codes"; "/console/" and anything outside
 * BASE → "/"; a trailing slash is dropped ("/console/send/" → "/send"). */
export function routePath(pathname) {
  if (pathname === BASE || !pathname.startsWith(BASE + '/')) return '/';
  const rest = pathname.slice(BASE.length);
  return rest.length > 1 && rest.endsWith('/') ? rest.slice(0, -1) : rest;
}

/** The browser path of a route: "/error-codes" → "/console/error-codes". */
export function href(path) {
  return path === '/' ? BASE + '/' : BASE + path;
}
