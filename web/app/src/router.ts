/**
 * The workstation's few routes live under /app/: the path is the state, changed with the History
 * API, so every screen has a URL that survives a reload (the gateway answers index.html for any
 * /app/ path).
 */
import { useEffect, useState } from 'react';

export const BASE = '/app';

export function navigate(path: string, replace = false): void {
  const url = `${BASE}${path}`;
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  dispatchEvent(new PopStateEvent('popstate'));
}

/** The current path below /app, e.g. `/profile` (`/` for the start page). */
export function currentPath(): string {
  const path = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : location.pathname;
  return path === '' ? '/' : path;
}

export function usePath(): string {
  const [path, setPath] = useState(currentPath);
  useEffect(() => {
    const update = () => setPath(currentPath());
    addEventListener('popstate', update);
    return () => removeEventListener('popstate', update);
  }, []);
  return path;
}
