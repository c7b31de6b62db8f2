/** The sign-in page; links to /setup while the first administrator is still to be created. */
import { useEffect, useState } from 'react';
import { Alert, Button, Card, Form, Input, Space, Typography } from 'antd';
import { api, ApiError, setCsrfToken, type SetupStatus, type SignedIn } from './api.ts';
import { Brand, errorText, LanguageSwitch } from './common.tsx';
import { useI18n, type Translate } from './i18n.tsx';

function signInError(e: unknown, t: Translate): string {
  if (!(e instanceof ApiError)) return errorText(e, t);
  if (e.code === 'LOCKED') return t('login.locked', { until: new Date(String(e.details?.lockedUntil ?? '')).toLocaleString() });
  if (e.code === 'RATE_LIMITED') return t('login.rateLimited');
  if (e.code === 'BUSY') return t('login.busy');
  if (e.status === 401 || e.code === 'INVALID') return t('login.failed');
  return errorText(e, t);
}

export function Login({ ended, onSignedIn }: { ended: boolean; onSignedIn: () => void }) {
  const { t } = useI18n();
  const [error, setError] = useState<string | null>(ended ? t('shell.sessionEnded') : null);
  const [busy, setBusy] = useState(false);
  const [setupPending, setSetupPending] = useState(false);
  useEffect(() => {
    api<SetupStatus>('GET', '/setup').then((s) => setSetupPending(s.status === 'pending'), () => undefined);
  }, []);

  const submit = async (values: { email: string; password: string }) => {
    setBusy(true);
    setError(null);
    try {
      const signedIn = await api<SignedIn>('POST', '/session', { email: values.email.trim(), password: values.password });
      setCsrfToken(signedIn.csrfToken);
      onSignedIn();
    } catch (e) {
      setError(signInError(e, t));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="kefu-login">
      <Card className="kefu-login-card">
        <Space direction="vertical" size="large" style={{ width: '100%' }}>
          <Space style={{ width: '100%', justifyContent: 'space-between' }}>
            <Brand />
            <LanguageSwitch />
          </Space>
          <Typography.Title level={4} style={{ margin: 0 }}>{t('login.title')}</Typography.Title>
          {setupPending && (
            <Alert type="info" showIcon message={t('login.setupPending')} description={<a href="/setup">{t('login.setupLink')}</a>} />
          )}
          {error && <Alert type="error" showIcon message={error} role="alert" />}
          <Form layout="vertical" requiredMark={false} onFinish={submit} disabled={busy}>
            <Form.Item name="email" label={t('login.email')} rules={[{ required: true, message: t('login.email') }]}>
              <Input type="email" autoComplete="username" autoFocus />
            </Form.Item>
            <Form.Item name="password" label={t('login.password')} rules={[{ required: true, message: t('login.password') }]}>
              <Input.Password autoComplete="current-password" />
            </Form.Item>
            <Button type="primary" htmlType="submit" block loading={busy}>{t('login.submit')}</Button>
          </Form>
        </Space>
      </Card>
    </main>
  );
}
