import { App, Spin } from 'antd';
import { type ReactNode, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Navigate, useLocation, useNavigate } from 'react-router';
import { ApiError, api, setCsrfToken, UNAUTHENTICATED_EVENT } from '../api.ts';
import {
  type Area,
  areaHome,
  type Session,
  SessionContext,
  type SessionContextValue,
  useSession,
} from './session.tsx';

/**
 * Loads the session once (GET /api/auth/me), keeps the CSRF token in step with it, and drops it when
 * any call answers 401 (idle timeout, logout elsewhere): the area guards then send the person to login.
 */
export function SessionProvider({ children }: { children: ReactNode }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const [session, setSessionState] = useState<Session | null>(null);
  const [loaded, setLoaded] = useState(false);
  const current = useRef<Session | null>(null);

  const setSession = useCallback((next: Session | null) => {
    current.current = next;
    setCsrfToken(next?.csrfToken ?? '');
    setSessionState(next);
  }, []);

  useEffect(() => {
    let cancelled = false;
    api
      .get<Session>('/api/auth/me')
      .then((s) => !cancelled && setSession(s))
      .catch((e) => {
        if (!cancelled && !(e instanceof ApiError && e.status === 401))
          console.warn('session check failed', e);
        if (!cancelled) setSession(null);
      })
      .finally(() => !cancelled && setLoaded(true));
    return () => {
      cancelled = true;
    };
  }, [setSession]);

  useEffect(() => {
    const onGone = () => {
      if (!current.current) return;
      message.warning({ content: t('auth.sessionExpired'), key: 'session-expired' });
      setSession(null);
    };
    window.addEventListener(UNAUTHENTICATED_EVENT, onGone);
    return () => window.removeEventListener(UNAUTHENTICATED_EVENT, onGone);
  }, [message, t, setSession]);

  const logout = useCallback(async () => {
    const area = current.current?.user.area ?? 'operator';
    try {
      await api.post('/api/auth/logout');
    } catch {
      // The session may be gone already; logging out locally is what matters.
    }
    setSession(null);
    navigate(`/login?area=${area}`, { replace: true });
    message.success({ content: t('header.loggedOut'), key: 'logout' });
  }, [message, navigate, setSession, t]);

  const value = useMemo<SessionContextValue>(
    () => ({ session, setSession, logout }),
    [session, setSession, logout],
  );

  if (!loaded) return <FullPageSpin />;
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function FullPageSpin() {
  const { t } = useTranslation();
  return (
    <div className="qy-full-center" style={{ minHeight: '100vh' }}>
      <Spin size="large" tip={t('app.loading')}>
        <div style={{ width: 160, height: 80 }} />
      </Spin>
    </div>
  );
}

/** Renders its area only for an active session of that area; otherwise to login or the person's own area. */
export function RequireArea({ area, children }: { area: Area; children: ReactNode }) {
  const { session } = useSession();
  const location = useLocation();
  if (session?.stage !== 'active') {
    const redirect = encodeURIComponent(location.pathname + location.search);
    return <Navigate to={`/login?area=${area}&redirect=${redirect}`} replace />;
  }
  if (session.user.area !== area) return <Navigate to={areaHome(session.user.area)} replace />;
  return <>{children}</>;
}

/** `/`: the person's area, or login. */
export function HomeRedirect() {
  const { session } = useSession();
  if (session?.stage === 'active') return <Navigate to={areaHome(session.user.area)} replace />;
  return <Navigate to="/login" replace />;
}
