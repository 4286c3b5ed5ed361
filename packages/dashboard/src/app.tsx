import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiClient } from './api';
import { storedToken, storeToken, tokenClaims } from './auth';
import type { DashboardConfig } from './config';
import { AlarmsView } from './views/alarms';
import { DeviceView } from './views/device';
import { FleetView } from './views/fleet';
import { SignIn } from './views/sign-in';

type Route = { view: 'fleet' } | { view: 'alarms' } | { view: 'device'; deviceId: string };

function routeOf(hash: string): Route {
  const device = /^#\/devices\/([^/]+)$/.exec(hash);
  if (device?.[1]) return { view: 'device', deviceId: decodeURIComponent(device[1]) };
  if (hash === '#/alarms') return { view: 'alarms' };
  return { view: 'fleet' };
}

function useRoute(): Route {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const onChange = () => setHash(location.hash);
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return routeOf(hash);
}

/** Moves the focus to the new page's heading after navigation, so keyboard and screen reader users follow it. */
function useFocusOnNavigation(route: Route) {
  const key = route.view === 'device' ? `device:${route.deviceId}` : route.view;
  useEffect(() => {
    document.querySelector<HTMLElement>('main h1')?.focus();
  }, [key]);
}

export function App({ config }: { config: DashboardConfig }) {
  const [token, setToken] = useState(storedToken());
  const [expired, setExpired] = useState(false);
  const route = useRoute();
  useFocusOnNavigation(route);

  const signIn = (value: string) => {
    storeToken(value);
    setExpired(false);
    setToken(value);
  };
  const signOut = () => {
    storeToken(undefined);
    setToken(undefined);
  };
  const api = useMemo(
    () =>
      token
        ? new ApiClient(config.apiUrl, token, () => {
            storeToken(undefined);
            setExpired(true);
            setToken(undefined);
          })
        : undefined,
    [config.apiUrl, token],
  );
  const pollMs = (config.pollSeconds ?? 5) * 1000;
  const user = token ? tokenClaims(token) : undefined;

  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="banner">
        <div class="brand">IoT fleet{config.stage ? <span class="stage"> · {config.stage}</span> : null}</div>
        {api ? (
          <nav aria-label="Main">
            <ul>
              <li>
                <a href="#/" aria-current={route.view === 'fleet' ? 'page' : undefined}>
                  Fleet
                </a>
              </li>
              <li>
                <a href="#/alarms" aria-current={route.view === 'alarms' ? 'page' : undefined}>
                  Alarms
                </a>
              </li>
            </ul>
          </nav>
        ) : null}
        {api ? (
          <div class="user">
            <span>{user?.username ?? 'signed in'}</span>
            <button type="button" class="secondary" onClick={signOut}>
              Sign out
            </button>
          </div>
        ) : null}
      </header>
      <main id="main" class="page">
        {!api ? (
          <SignIn config={config} onSignIn={signIn} expired={expired} />
        ) : route.view === 'device' ? (
          <DeviceView api={api} deviceId={route.deviceId} pollMs={pollMs} />
        ) : route.view === 'alarms' ? (
          <AlarmsView api={api} pollMs={pollMs} />
        ) : (
          <FleetView api={api} pollMs={pollMs} />
        )}
      </main>
      <footer class="footer">
        API <code>{config.apiUrl}</code> · updated every {pollMs / 1000} s
      </footer>
    </>
  );
}
