// Client-side routes under /console/: the History API, no hash. smsgate answers
// index.html for every /console/... path that is not an asset, so a reload or
// a bookmarked page lands here and is routed again.
import { useEffect, useState } from 'preact/hooks';

import { href, routePath } from './paths.js';

export { href, routePath };

export function navigate(path) {
  if (window.location.pathname !== href(path)) window.history.pushState(null, '', href(path));
  window.dispatchEvent(new Event('sg:navigate'));
}

/** The current route path; re-renders on back/forward and navigate(). */
export function useRoute() {
  const [path, setPath] = useState(routePath(window.location.pathname));
  useEffect(() => {
    const update = () => setPath(routePath(window.location.pathname));
    window.addEventListener('popstate', update);
    window.addEventListener('sg:navigate', update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener('sg:navigate', update);
    };
  }, []);
  return path;
}

/** A link inside the console: a real <a href> (open in new tab works) that
 * routes without a reload on a plain click. */
export function Link({ to, children, ...rest }) {
  const onClick = (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  return (
    <a href={href(to)} onClick={onClick} {...rest}>
      {children}
    </a>
  );
}
