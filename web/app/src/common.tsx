/** Pieces every screen shares: the brand, the language switch, and how an error is worded. */
import { Select } from 'antd';
import { ApiError, OfflineError } from './api.ts';
import { useI18n, type Locale, type Translate } from './i18n.tsx';

export function Brand() {
  return <span className="kefu-brand"><img src="/favicon.svg" alt="" />Kefu 客服</span>;
}

export function LanguageSwitch() {
  const { locale, setLocale, t } = useI18n();
  return (
    <Select<Locale>
      aria-label={t('shell.language')}
      size="small"
      value={locale}
      onChange={setLocale}
      style={{ width: 110 }}
      options={[{ value: 'zh-CN', label: '简体中文' }, { value: 'en', label: 'English' }]}
    />
  );
}

/** The server's own message for a refused request; "cannot be reached" when there was no answer. */
export function errorText(e: unknown, t: Translate): string {
  if (e instanceof OfflineError) return t('error.offline');
  if (e instanceof ApiError) return e.message;
  return t('error.generic', { message: e instanceof Error ? e.message : String(e) });
}
