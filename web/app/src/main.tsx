/**
 * The workstation's entry: the language, Ant Design's theme and locale, then the session — the
 * sign-in page until there is one, the shell around the screens after.
 */
import { StrictMode, useCallback, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { App as AntApp, ConfigProvider, Spin } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import { api, ApiError, setCsrfToken, type Me, type SignedIn } from './api.ts';
import { I18nProvider, useI18n } from './i18n.tsx';
import { Login } from './Login.tsx';
import './styles.css';
import { Shell } from './Shell.tsx';

type Session = { state: 'loading' } | { state: 'signed-out'; reason?: 'ended' } | { state: 'offline' } | { state: 'signed-in'; me: Me };

async function loadSession(): Promise<Session> {
  try {
    const signedIn = await api<SignedIn>('GET', '/session');
    setCsrfToken(signedIn.csrfToken);
    return { state: 'signed-in', me: await api<Me>('GET', '/me') };
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return { state: 'signed-out' };
    // Unreachable, or failing for now (a proxy's 502, a restart): wait and try again.
    return { state: 'offline' };
  }
}

function Root() {
  const { locale, t } = useI18n();
  const [session, setSession] = useState<Session>({ state: 'loading' });
  const refresh = useCallback(() => void loadSession().then(setSession), []);
  useEffect(refresh, [refresh]);
  useEffect(() => {
    if (session.state !== 'offline') return;
    const timer = setInterval(refresh, 3_000);
    return () => clearInterval(timer);
  }, [session.state, refresh]);

  let content;
  if (session.state === 'loading') content = <div className="kefu-center"><Spin size="large" /></div>;
  else if (session.state === 'offline') content = <div className="kefu-center"><Spin size="large" tip={t('shell.offline')}><div style={{ width: 320, height: 80 }} /></Spin></div>;
  else if (session.state === 'signed-out') content = <Login ended={session.reason === 'ended'} onSignedIn={refresh} />;
  else content = <Shell me={session.me} onMe={(me) => setSession({ state: 'signed-in', me })} onSignedOut={(reason) => { setCsrfToken(null); setSession({ state: 'signed-out', reason }); }} />;

  return (
    <ConfigProvider locale={locale === 'zh-CN' ? zhCN : enUS} theme={{ token: { colorPrimary: '#1769e0', borderRadius: 6 } }}>
      <AntApp>{content}</AntApp>
    </ConfigProvider>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <I18nProvider>
      <Root />
    </I18nProvider>
  </StrictMode>,
);
