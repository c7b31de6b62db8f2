/**
 * The workstation's two languages, zh-CN and English: one dictionary per language with the same
 * keys (the compiler checks that every key has both), the choice kept in localStorage and
 * defaulting to the browser's language.
 */
import { createContext, useContext, useMemo, useState, type ReactNode } from 'react';

const en = {
  'app.tagline': 'Open-source contact center',
  'login.title': 'Sign in to Kefu',
  'login.email': 'Email',
  'login.password': 'Password',
  'login.submit': 'Sign in',
  'login.failed': 'The email or the password is wrong.',
  'login.locked': 'Too many wrong passwords: this account is locked until {until}.',
  'login.rateLimited': 'Too many attempts from this address. Wait a minute and try again.',
  'login.busy': 'The server is busy. Try again in a moment.',
  'login.setupPending': 'Kefu has no administrator yet.',
  'login.setupLink': 'Create the first administrator with the setup token',
  'shell.profile': 'My profile',
  'shell.signOut': 'Sign out',
  'shell.language': 'Language',
  'shell.offline': 'Connection to the server lost. Retrying…',
  'shell.sessionEnded': 'Your session has ended. Sign in again.',
  'profile.displayName': 'Name',
  'profile.email': 'Email',
  'profile.mobile': 'Mobile',
  'profile.roles': 'Access',
  'profile.superAdmin': 'Super admin',
  'profile.agent': 'Agent · up to {n} conversations at once',
  'profile.notAgent': 'Not an agent',
  'profile.lastLogin': 'Last sign-in',
  'profile.password': 'Change password',
  'profile.currentPassword': 'Current password',
  'profile.newPassword': 'New password',
  'profile.newPasswordHelp': 'At least 10 characters. Your other browsers are signed out.',
  'profile.passwordChanged': 'Password changed. Your other sessions have ended.',
  'sessions.title': 'My sessions',
  'sessions.device': 'Browser',
  'sessions.ip': 'Address',
  'sessions.lastSeen': 'Last active',
  'sessions.started': 'Signed in',
  'sessions.current': 'This browser',
  'sessions.end': 'Sign out',
  'sessions.ended': 'That session has ended.',
  'error.generic': 'Something went wrong: {message}',
  'error.offline': 'The server cannot be reached.',
  'common.never': 'never',
} as const;

export type MessageKey = keyof typeof en;

const zhCN: Record<MessageKey, string> = {
  'app.tagline': '开源客服平台',
  'login.title': '登录 Kefu 客服',
  'login.email': '邮箱',
  'login.password': '密码',
  'login.submit': '登录',
  'login.failed': '邮箱或密码错误。',
  'login.locked': '密码错误次数过多，账号已锁定至 {until}。',
  'login.rateLimited': '此地址尝试次数过多，请一分钟后再试。',
  'login.busy': '服务器繁忙，请稍后再试。',
  'login.setupPending': '系统尚未创建管理员。',
  'login.setupLink': '使用初始化令牌创建第一个管理员',
  'shell.profile': '个人资料',
  'shell.signOut': '退出登录',
  'shell.language': '语言',
  'shell.offline': '与服务器的连接已断开，正在重试…',
  'shell.sessionEnded': '登录已失效，请重新登录。',
  'profile.displayName': '姓名',
  'profile.email': '邮箱',
  'profile.mobile': '手机',
  'profile.roles': '权限',
  'profile.superAdmin': '超级管理员',
  'profile.agent': '坐席 · 最多同时接待 {n} 个会话',
  'profile.notAgent': '非坐席',
  'profile.lastLogin': '上次登录',
  'profile.password': '修改密码',
  'profile.currentPassword': '当前密码',
  'profile.newPassword': '新密码',
  'profile.newPasswordHelp': '至少 10 个字符。其他浏览器将被退出登录。',
  'profile.passwordChanged': '密码已修改，其他会话已结束。',
  'sessions.title': '登录设备',
  'sessions.device': '浏览器',
  'sessions.ip': '地址',
  'sessions.lastSeen': '最近活动',
  'sessions.started': '登录时间',
  'sessions.current': '当前浏览器',
  'sessions.end': '退出',
  'sessions.ended': '该会话已结束。',
  'error.generic': '出错了：{message}',
  'error.offline': '无法连接服务器。',
  'common.never': '从未',
};

export type Locale = 'en' | 'zh-CN';
const DICTIONARIES: Record<Locale, Record<MessageKey, string>> = { en, 'zh-CN': zhCN };
const STORAGE_KEY = 'kefu.locale';

export function initialLocale(): Locale {
  const stored = localStorage.getItem(STORAGE_KEY);
  if (stored === 'en' || stored === 'zh-CN') return stored;
  return navigator.language.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en';
}

export type Translate = (key: MessageKey, values?: Record<string, string | number>) => string;

interface I18n {
  locale: Locale;
  setLocale: (locale: Locale) => void;
  t: Translate;
}

const I18nContext = createContext<I18n | null>(null);

export function I18nProvider({ children }: { children: ReactNode }) {
  const [locale, setLocaleState] = useState<Locale>(initialLocale);
  const value = useMemo<I18n>(() => {
    const dictionary = DICTIONARIES[locale];
    return {
      locale,
      setLocale: (next) => {
        localStorage.setItem(STORAGE_KEY, next);
        document.documentElement.lang = next;
        setLocaleState(next);
      },
      t: (key, values) => dictionary[key].replace(/\{(\w+)\}/g, (all, name: string) => String(values?.[name] ?? all)),
    };
  }, [locale]);
  document.documentElement.lang = locale;
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const i18n = useContext(I18nContext);
  if (!i18n) throw new Error('useI18n outside I18nProvider');
  return i18n;
}
