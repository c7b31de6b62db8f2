/** My profile (who I am and my name, my access, my quick replies, my password) and my sessions (the browsers signed in as me). */
import { useCallback, useEffect, useState } from 'react';
import { Alert, App, Button, Card, Descriptions, Form, Input, Space, Table, Tag, Typography } from 'antd';
import { api, type Me, type SessionInfo } from './api.ts';
import { errorText } from './common.tsx';
import { can } from './desk/useDesk.tsx';
import { useI18n, type Translate } from './i18n.tsx';
import { QuickReplyList } from './QuickReplies.tsx';

function when(iso: string | null, t: Translate): string {
  return iso ? new Date(iso).toLocaleString() : t('common.never');
}

export function Profile({ me, onMe }: { me: Me; onMe: (me: Me) => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();

  /** My name as colleagues and visitors see it: edited in place, saved on Enter. */
  const rename = async (value: string) => {
    const displayName = value.trim();
    if (displayName === '' || displayName === me.displayName) return;
    try {
      onMe(await api<Me>('PATCH', '/me', { displayName }));
      void message.success(t('profile.nameChanged'));
    } catch (e) {
      void message.error(errorText(e, t));
    }
  };
  const [form] = Form.useForm<{ currentPassword: string; newPassword: string }>();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const changePassword = async (values: { currentPassword: string; newPassword: string }) => {
    setBusy(true);
    setError(null);
    try {
      await api('POST', '/me/password', values);
      form.resetFields();
      void message.success(t('profile.passwordChanged'));
    } catch (e) {
      setError(errorText(e, t));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }}>
      <Card title={t('shell.profile')}>
        <Descriptions column={{ xs: 1, md: 2 }} size="middle">
          <Descriptions.Item label={t('profile.displayName')}>
            <Typography.Text editable={{ onChange: (v) => void rename(v), maxLength: 100, tooltip: t('profile.editName'), text: me.displayName }}>{me.displayName}</Typography.Text>
          </Descriptions.Item>
          <Descriptions.Item label={t('profile.email')}>{me.email}</Descriptions.Item>
          <Descriptions.Item label={t('profile.mobile')}>{me.mobile ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={t('profile.lastLogin')}>{when(me.lastLoginAt, t)}</Descriptions.Item>
          <Descriptions.Item label={t('profile.roles')} span={2}>
            <Space size={[4, 4]} wrap>
              {me.isSuperAdmin && <Tag color="gold">{t('profile.superAdmin')}</Tag>}
              <Tag color={me.isAgent ? 'blue' : 'default'}>{me.isAgent ? t('profile.agent', { n: me.maxConversations }) : t('profile.notAgent')}</Tag>
              {me.permissions.map((p) => <Tag key={p}>{p}</Tag>)}
            </Space>
          </Descriptions.Item>
        </Descriptions>
      </Card>
      {can(me, 'conversations.reply') && (
        <Card title={t('replies.mine')} id="quick-replies">
          <QuickReplyList shared={false} />
        </Card>
      )}
      <Card title={t('profile.password')}>
        <Form form={form} layout="vertical" requiredMark={false} onFinish={changePassword} disabled={busy} style={{ maxWidth: 420 }}>
          {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 16 }} role="alert" />}
          <Form.Item name="currentPassword" label={t('profile.currentPassword')} rules={[{ required: true, message: t('profile.currentPassword') }]}>
            <Input.Password autoComplete="current-password" />
          </Form.Item>
          <Form.Item name="newPassword" label={t('profile.newPassword')} extra={t('profile.newPasswordHelp')} rules={[{ required: true, min: 10, message: t('profile.newPasswordHelp') }]}>
            <Input.Password autoComplete="new-password" />
          </Form.Item>
          <Button type="primary" htmlType="submit" loading={busy}>{t('profile.password')}</Button>
        </Form>
      </Card>
    </Space>
  );
}

export function Sessions({ onSignedOut }: { onSignedOut: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [sessions, setSessions] = useState<SessionInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(() => {
    api<SessionInfo[]>('GET', '/me/sessions').then(setSessions, (e) => setError(errorText(e, t)));
  }, [t]);
  useEffect(load, [load]);

  const end = async (session: SessionInfo) => {
    try {
      await api('DELETE', `/me/sessions/${session.id}`);
      if (session.current) return onSignedOut();
      void message.success(t('sessions.ended'));
      load();
    } catch (e) {
      setError(errorText(e, t));
    }
  };

  return (
    <Card title={t('sessions.title')}>
      {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 16 }} />}
      <Table<SessionInfo>
        rowKey="id"
        size="middle"
        loading={sessions === null && !error}
        dataSource={sessions ?? []}
        pagination={false}
        columns={[
          { title: t('sessions.device'), dataIndex: 'userAgent', ellipsis: true, render: (ua: string, s) => <Space>{ua || '—'}{s.current && <Tag color="green">{t('sessions.current')}</Tag>}</Space> },
          { title: t('sessions.ip'), dataIndex: 'ip', width: 140 },
          { title: t('sessions.started'), dataIndex: 'createdAt', width: 190, render: (v: string) => when(v, t) },
          { title: t('sessions.lastSeen'), dataIndex: 'lastSeenAt', width: 190, render: (v: string) => when(v, t) },
          { title: '', key: 'end', width: 100, render: (_v, s) => <Button size="small" danger onClick={() => void end(s)}>{t('sessions.end')}</Button> },
        ]}
      />
    </Card>
  );
}
