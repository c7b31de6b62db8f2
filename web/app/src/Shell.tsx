/**
 * The frame around every screen once signed in: the menu (only what the account may use), the
 * language switch, the account menu with sign-out, and a banner while the server is unreachable.
 */
import { lazy, Suspense, useEffect, useState, type ReactNode } from 'react';
import { Alert, Avatar, Dropdown, Layout, Menu, Space, Spin } from 'antd';
import { DashboardOutlined, HistoryOutlined, LaptopOutlined, LogoutOutlined, MessageOutlined, SettingOutlined, UserOutlined } from '@ant-design/icons';
import { api, ApiError, type Me } from './api.ts';
import { Brand, LanguageSwitch } from './common.tsx';
import { DeskScreen } from './desk/Desk.tsx';
import { MonitorScreen } from './desk/Monitor.tsx';
import { can, DeskProvider, deskAllowed } from './desk/useDesk.tsx';
import { useI18n, type MessageKey } from './i18n.tsx';
import { Profile, Sessions } from './Profile.tsx';
import { navigate, usePath } from './router.ts';

interface Screen {
  path: string;
  label: MessageKey;
  icon: ReactNode;
  /** Uses the whole width and height below the header (the desk), not a centred column. */
  full?: boolean;
  /** Shown only to accounts for which this holds; the server enforces the same. */
  allowed: (me: Me) => boolean;
  render: (me: Me, onSignedOut: SignedOut, onMe: (me: Me) => void) => ReactNode;
}

type SignedOut = (reason?: 'ended') => void;

/** The admin console and history are chunks of their own, fetched when first opened (web/README.md). */
const AdminScreen = lazy(() => import('./admin/Admin.tsx'));
const HistoryScreen = lazy(() => import('./history/History.tsx'));
/** What the console's tabs need to be read, one of them for the menu to offer it. */
const ADMIN_READS = ['departments.read', 'accounts.read', 'roles.read', 'channels.read', 'quickReplies.write', 'blacklist.read', 'audit.read'];

/** In menu order; the first one allowed is where an account lands. */
const SCREENS: Screen[] = [
  { path: '/desk', label: 'desk.title', icon: <MessageOutlined />, full: true, allowed: deskAllowed, render: () => <DeskScreen /> },
  { path: '/monitor', label: 'monitor.title', icon: <DashboardOutlined />, allowed: (me) => can(me, 'monitoring.read'), render: (me) => <MonitorScreen me={me} /> },
  { path: '/history', label: 'history.title', icon: <HistoryOutlined />, allowed: (me) => can(me, 'history.read'), render: () => <Suspense fallback={<Spin />}><HistoryScreen /></Suspense> },
  { path: '/admin', label: 'admin.title', icon: <SettingOutlined />, allowed: (me) => ADMIN_READS.some((p) => can(me, p)), render: (me) => <Suspense fallback={<Spin />}><AdminScreen me={me} /></Suspense> },
  { path: '/profile', label: 'shell.profile', icon: <UserOutlined />, allowed: () => true, render: (me, _signedOut, onMe) => <Profile me={me} onMe={onMe} /> },
  { path: '/sessions', label: 'sessions.title', icon: <LaptopOutlined />, allowed: () => true, render: (_me, onSignedOut) => <Sessions onSignedOut={onSignedOut} /> },
];

/** Polls the session while the page is open, so a lost connection or an ended session shows. */
function useConnection(onSignedOut: SignedOut): boolean {
  const [online, setOnline] = useState(true);
  useEffect(() => {
    const check = () =>
      api('GET', '/session').then(
        () => setOnline(true),
        (e) => {
          if (e instanceof ApiError && e.status === 401) onSignedOut('ended');
          else setOnline(false);
        },
      );
    const timer = setInterval(check, online ? 30_000 : 3_000);
    addEventListener('online', check);
    return () => {
      clearInterval(timer);
      removeEventListener('online', check);
    };
  }, [online, onSignedOut]);
  return online;
}

export function Shell({ me, onSignedOut, onMe }: { me: Me; onSignedOut: SignedOut; onMe: (me: Me) => void }) {
  const { t } = useI18n();
  const path = usePath();
  const online = useConnection(onSignedOut);
  const [narrow, setNarrow] = useState(false);
  const screens = SCREENS.filter((s) => s.allowed(me));
  const screen = screens.find((s) => s.path === path);
  useEffect(() => {
    if (!screen && screens[0]) navigate(screens[0].path, true);
  }, [screen, screens]);

  const signOut = async () => {
    await api('DELETE', '/session').catch(() => undefined);
    onSignedOut();
  };

  return (
    <DeskProvider me={me} onSignedOut={onSignedOut}>
    <Layout className="kefu-shell">
      <Layout.Header className="kefu-header">
        <Brand />
        <Space size="middle">
          <LanguageSwitch />
          <Dropdown
            trigger={['click']}
            menu={{
              items: [
                { key: 'profile', icon: <UserOutlined />, label: t('shell.profile'), onClick: () => navigate('/profile') },
                { type: 'divider' },
                { key: 'sign-out', icon: <LogoutOutlined />, label: t('shell.signOut'), onClick: () => void signOut() },
              ],
            }}
          >
            <a className="kefu-account" data-testid="account-menu" onClick={(e) => e.preventDefault()} href="#" title={me.displayName}>
              <Avatar size="small" style={{ background: '#1769e0', flex: 'none' }}>{me.displayName.slice(0, 1).toUpperCase()}</Avatar>
              <span className="kefu-account-name">{me.displayName}</span>
            </a>
          </Dropdown>
        </Space>
      </Layout.Header>
      <Layout>
        <Layout.Sider width={200} theme="light" breakpoint="md" onBreakpoint={setNarrow} collapsed={narrow || screen?.full === true} collapsedWidth={56} style={{ borderRight: '1px solid #e8ecf1' }}>
          <Menu
            mode="inline"
            selectedKeys={screen ? [screen.path] : []}
            style={{ borderInlineEnd: 'none', paddingTop: 8 }}
            items={screens.map((s) => ({ key: s.path, icon: s.icon, label: t(s.label), onClick: () => navigate(s.path) }))}
          />
        </Layout.Sider>
        <Layout.Content>
          {!online && <Alert className="kefu-banner" banner type="warning" message={t('shell.offline')} />}
          <div className={screen?.full ? 'kefu-content-full' : 'kefu-content'}>{screen?.render(me, onSignedOut, onMe)}</div>
        </Layout.Content>
      </Layout>
    </Layout>
    </DeskProvider>
  );
}
