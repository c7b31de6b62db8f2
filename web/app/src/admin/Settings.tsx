/**
 * A department's settings (技能组设置), as in force there: routing, the messages visitors see,
 * the waiting limit, idle reminders and closing, capacity per agent, and working hours with
 * holidays. Each setting says where it comes from — set here, inherited from a department above,
 * or the built-in default; saving sets here what was changed, and "Inherit" drops this
 * department's own value.
 */
import { useEffect, useMemo, useState } from 'react';
import { App, Button, Form, Input, InputNumber, Select, Space, Switch, Typography } from 'antd';
import { api, type Department } from '../api.ts';
import { errorText } from '../common.tsx';
import { useI18n, type MessageKey } from '../i18n.tsx';
import { useFetched } from '../useFetched.ts';

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
type Day = (typeof DAYS)[number];

export interface WorkingHours {
  timeZone: string;
  weekly: Partial<Record<Day, string>>;
  holidays: string[];
  closedMessage: string;
}
export interface SettingsValues {
  routingPolicy: 'idle-first' | 'least-busy' | 'round-robin' | 'manual';
  welcomeMessage: string;
  noAgentMessage: string;
  queueFullMessage: string;
  maxWaiting: number | null;
  visitorIdleReminderMinutes: number | null;
  visitorIdleCloseMinutes: number | null;
  agentNoReplyReminderMinutes: number | null;
  maxConversationsPerAgent: number;
  workingHours: WorkingHours | null;
}
type Key = keyof SettingsValues;

const LABELS: Record<Key, MessageKey> = {
  routingPolicy: 'settings.routingPolicy',
  welcomeMessage: 'settings.welcomeMessage',
  noAgentMessage: 'settings.noAgentMessage',
  queueFullMessage: 'settings.queueFullMessage',
  maxWaiting: 'settings.maxWaiting',
  visitorIdleReminderMinutes: 'settings.visitorIdleReminderMinutes',
  visitorIdleCloseMinutes: 'settings.visitorIdleCloseMinutes',
  agentNoReplyReminderMinutes: 'settings.agentNoReplyReminderMinutes',
  maxConversationsPerAgent: 'settings.maxConversationsPerAgent',
  workingHours: 'settings.workingHours',
};

/** The settings that differ from what is in force now: what saving sets on this department. */
export function changedSettings(before: SettingsValues, after: SettingsValues): Partial<SettingsValues> {
  const out: Partial<Record<Key, unknown>> = {};
  for (const key of Object.keys(LABELS) as Key[]) if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) out[key] = after[key];
  return out as Partial<SettingsValues>;
}

export function DepartmentSettings({ department, departments, canWrite }: { department: Department; departments: readonly Department[]; canWrite: boolean }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const effective = useFetched<{ settings: SettingsValues; from: Record<string, string | null> }>(`/departments/${department.id}/settings`);
  const [values, setValues] = useState<SettingsValues | null>(null);
  const [saving, setSaving] = useState(false);
  useEffect(() => setValues(effective.data?.settings ?? null), [effective.data]);
  const nameOf = useMemo(() => new Map(departments.map((d) => [d.id, d.name])), [departments]);
  if (!values || !effective.data) return <Typography.Text type="secondary">{effective.error ? errorText(effective.error, t) : t('desk.loading')}</Typography.Text>;
  const { from } = effective.data;
  const set = <K extends Key>(key: K, value: SettingsValues[K]) => setValues({ ...values, [key]: value });

  const patch = async (body: Record<string, unknown>) => {
    setSaving(true);
    try {
      await api('PATCH', `/departments/${department.id}`, { settings: body });
      message.success(t('admin.saved'));
      effective.reload();
    } catch (e) {
      message.error(errorText(e, t));
    } finally {
      setSaving(false);
    }
  };
  const origin = (key: Key) => {
    const at = from[key];
    if (at === department.id) return <span className="kefu-setting-origin kefu-setting-own">{t('settings.setHere')} {canWrite && <a onClick={() => void patch({ [key]: null })}>{t('settings.inherit')}</a>}</span>;
    return <span className="kefu-setting-origin">{at ? t('settings.inheritedFrom', { name: nameOf.get(at) ?? at }) : t('settings.default')}</span>;
  };
  const item = (key: Key, control: React.ReactNode) => (
    <Form.Item key={key} label={<span>{t(LABELS[key])} {origin(key)}</span>}>{control}</Form.Item>
  );
  const minutes = (key: 'visitorIdleReminderMinutes' | 'visitorIdleCloseMinutes' | 'agentNoReplyReminderMinutes') => (
    <InputNumber aria-label={t(LABELS[key])} min={1} max={1440} value={values[key]} placeholder={t('settings.never')} onChange={(v) => set(key, v ?? null)} addonAfter={t('settings.minutes')} />
  );
  const hours = values.workingHours;

  return (
    <Form layout="vertical" disabled={!canWrite} className="kefu-settings" data-testid="department-settings">
      {item('routingPolicy', (
        <Select
          aria-label={t(LABELS.routingPolicy)}
          value={values.routingPolicy}
          onChange={(v) => set('routingPolicy', v)}
          options={(['idle-first', 'least-busy', 'round-robin', 'manual'] as const).map((p) => ({ value: p, label: t(`settings.policy.${p}`) }))}
        />
      ))}
      {item('welcomeMessage', <Input.TextArea aria-label={t(LABELS.welcomeMessage)} autoSize={{ minRows: 1, maxRows: 4 }} maxLength={1000} value={values.welcomeMessage} onChange={(e) => set('welcomeMessage', e.target.value)} />)}
      {item('noAgentMessage', <Input.TextArea aria-label={t(LABELS.noAgentMessage)} autoSize={{ minRows: 1, maxRows: 4 }} maxLength={1000} value={values.noAgentMessage} onChange={(e) => set('noAgentMessage', e.target.value)} />)}
      {item('queueFullMessage', <Input.TextArea aria-label={t(LABELS.queueFullMessage)} autoSize={{ minRows: 1, maxRows: 4 }} maxLength={1000} value={values.queueFullMessage} onChange={(e) => set('queueFullMessage', e.target.value)} />)}
      <Space size="large" wrap align="start">
        {item('maxWaiting', <InputNumber aria-label={t(LABELS.maxWaiting)} min={1} max={100000} value={values.maxWaiting} placeholder={t('settings.unlimited')} onChange={(v) => set('maxWaiting', v ?? null)} />)}
        {item('maxConversationsPerAgent', <InputNumber aria-label={t(LABELS.maxConversationsPerAgent)} min={1} max={100} value={values.maxConversationsPerAgent} onChange={(v) => v !== null && set('maxConversationsPerAgent', v)} />)}
      </Space>
      <Space size="large" wrap align="start">
        {item('visitorIdleReminderMinutes', minutes('visitorIdleReminderMinutes'))}
        {item('visitorIdleCloseMinutes', minutes('visitorIdleCloseMinutes'))}
        {item('agentNoReplyReminderMinutes', minutes('agentNoReplyReminderMinutes'))}
      </Space>
      {item('workingHours', (
        <div className="kefu-working-hours">
          <Space>
            <Switch aria-label={t('settings.hasHours')} checked={hours !== null} onChange={(on) => set('workingHours', on ? { timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone || 'Asia/Shanghai', weekly: { mon: '09:00-18:00', tue: '09:00-18:00', wed: '09:00-18:00', thu: '09:00-18:00', fri: '09:00-18:00' }, holidays: [], closedMessage: '' } : null)} />
            <span>{hours ? t('settings.hasHours') : t('settings.alwaysOpen')}</span>
          </Space>
          {hours && (
            <>
              <Input aria-label={t('settings.timeZone')} addonBefore={t('settings.timeZone')} value={hours.timeZone} onChange={(e) => set('workingHours', { ...hours, timeZone: e.target.value })} />
              <div className="kefu-week">
                {DAYS.map((d) => (
                  <Input key={d} aria-label={t(`settings.day.${d}`)} addonBefore={t(`settings.day.${d}`)} placeholder={t('settings.closed')} value={hours.weekly[d] ?? ''} onChange={(e) => set('workingHours', { ...hours, weekly: { ...hours.weekly, [d]: e.target.value } })} />
                ))}
              </div>
              <Select mode="tags" aria-label={t('settings.holidays')} placeholder={t('settings.holidaysHint')} value={hours.holidays} onChange={(h: string[]) => set('workingHours', { ...hours, holidays: h })} tokenSeparators={[',', ' ']} />
              <Input.TextArea aria-label={t('settings.closedMessage')} placeholder={t('settings.closedMessage')} autoSize={{ minRows: 1, maxRows: 3 }} maxLength={1000} value={hours.closedMessage} onChange={(e) => set('workingHours', { ...hours, closedMessage: e.target.value })} />
            </>
          )}
        </div>
      ))}
      {canWrite && (
        <Button type="primary" loading={saving} disabled={Object.keys(changedSettings(effective.data.settings, values)).length === 0} onClick={() => void patch(changedSettings(effective.data!.settings, values))}>
          {t('settings.save')}
        </Button>
      )}
    </Form>
  );
}
