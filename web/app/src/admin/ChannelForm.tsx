/**
 * Creating and changing a web chat channel: its name, skill group, the websites that may embed it,
 * identity verification, and how the widget looks — colour, side, greeting, avatar, the pre-chat
 * form — with a preview beside the form that follows every change before it is saved.
 */
import { useState } from 'react';
import { App, Button, Checkbox, ColorPicker, Form, Input, Modal, Segmented, Select, Space, Switch, Typography } from 'antd';
import { MessageOutlined, MinusCircleOutlined, PlusOutlined } from '@ant-design/icons';
import { api, type Channel, type ChannelAppearance, type Department } from '../api.ts';
import { errorText } from '../common.tsx';
import { useI18n } from '../i18n.tsx';

type Fields = { name: string; skillGroupId: string; allowedOrigins: string[]; identityEnforced: boolean; appearance: ChannelAppearance };

export const DEFAULT_COLOR = '#1677ff';

export function ChannelForm({ channel, skillGroups, onClose, onSaved }: { channel: Channel | null; skillGroups: Department[]; onClose: () => void; onSaved: () => void }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const [form] = Form.useForm<Fields>();
  const [busy, setBusy] = useState(false);
  const [secret, setSecret] = useState(channel?.identitySecret);
  const watched = Form.useWatch([], form) as Partial<Fields> | undefined;
  const save = async () => {
    const fields = await form.validateFields();
    const a = fields.appearance ?? {};
    // Empty optional fields are left out rather than saved as ''.
    const appearance: ChannelAppearance = {
      ...(a.color ? { color: a.color } : {}),
      position: a.position ?? 'right',
      ...(a.greeting?.trim() ? { greeting: a.greeting.trim() } : {}),
      ...(a.avatarUrl?.trim() ? { avatarUrl: a.avatarUrl.trim() } : {}),
      preChatFields: (a.preChatFields ?? []).map((f) => ({ name: f.name, label: f.label, required: Boolean(f.required) })),
    };
    setBusy(true);
    try {
      await api(channel ? 'PATCH' : 'POST', channel ? `/channels/${channel.id}` : '/channels', { ...fields, appearance });
      message.success(channel ? t('admin.saved') : t('admin.created'));
      onSaved();
    } catch (e) {
      message.error(errorText(e, t));
    } finally {
      setBusy(false);
    }
  };
  const rotate = async () => {
    try {
      setSecret((await api<Channel>('POST', `/channels/${channel!.id}/identity-secret`)).identitySecret);
    } catch (e) {
      message.error(errorText(e, t));
    }
  };
  const initial: Fields = channel
    ? { name: channel.name, skillGroupId: channel.skillGroupId, allowedOrigins: channel.allowedOrigins, identityEnforced: channel.identityEnforced, appearance: { position: 'right', preChatFields: [], ...channel.appearance } }
    : { name: '', skillGroupId: '', allowedOrigins: [], identityEnforced: false, appearance: { position: 'right', preChatFields: [] } };
  return (
    <Modal
      open
      width={920}
      title={channel ? t('admin.editChannel', { name: channel.name }) : t('admin.newChannel')}
      okText={channel ? t('admin.save') : t('admin.create')}
      cancelText={t('desk.cancel')}
      confirmLoading={busy}
      onOk={() => void save()}
      onCancel={onClose}
      destroyOnHidden
    >
      <div className="kefu-channel-editor">
        <Form form={form} layout="vertical" initialValues={{ ...initial, skillGroupId: initial.skillGroupId || undefined }} className="kefu-channel-form">
          <Form.Item name="name" label={t('admin.name')} rules={[{ required: true, whitespace: true, max: 100 }]}><Input aria-label={t('admin.channelName')} /></Form.Item>
          <Form.Item name="skillGroupId" label={t('desk.skillGroup')} rules={[{ required: true }]}>
            <Select aria-label={t('desk.skillGroup')} options={skillGroups.map((g) => ({ value: g.id, label: g.name }))} placeholder={t('desk.choose')} />
          </Form.Item>
          <Form.Item name="allowedOrigins" label={t('admin.origins')} extra={t('admin.originsHint')}>
            <Select mode="tags" aria-label={t('admin.origins')} tokenSeparators={[',', ' ']} placeholder="https://shop.example.com" />
          </Form.Item>
          <Form.Item name="identityEnforced" label={t('admin.identity')} valuePropName="checked" extra={t('admin.identityHint')}>
            <Switch aria-label={t('admin.identity')} />
          </Form.Item>
          {channel && secret && (
            <Form.Item label={t('admin.identitySecret')}>
              <Space.Compact style={{ width: '100%' }}>
                <Input.Password readOnly value={secret} aria-label={t('admin.identitySecret')} />
                <Button onClick={() => void rotate()}>{t('admin.rotateSecret')}</Button>
              </Space.Compact>
            </Form.Item>
          )}
          <Typography.Title level={5}>{t('admin.appearance')}</Typography.Title>
          <Space size="large" wrap>
            <Form.Item name={['appearance', 'color']} label={t('admin.color')} getValueFromEvent={(c: { toHexString(): string }) => c.toHexString()}>
              <ColorPicker aria-label={t('admin.color')} disabledAlpha presets={[{ label: t('admin.color'), colors: ['#1677ff', '#13a8a8', '#52c41a', '#fa8c16', '#f5222d', '#722ed1', '#1f2329'] }]} />
            </Form.Item>
            <Form.Item name={['appearance', 'position']} label={t('admin.position')}>
              <Segmented aria-label={t('admin.position')} options={[{ value: 'left', label: t('admin.left') }, { value: 'right', label: t('admin.right') }]} />
            </Form.Item>
          </Space>
          <Form.Item name={['appearance', 'greeting']} label={t('admin.greeting')} rules={[{ max: 500 }]}>
            <Input.TextArea aria-label={t('admin.greeting')} autoSize={{ minRows: 2, maxRows: 4 }} showCount maxLength={500} />
          </Form.Item>
          <Form.Item name={['appearance', 'avatarUrl']} label={t('admin.avatar')} rules={[{ type: 'url', max: 500 }]}>
            <Input aria-label={t('admin.avatar')} placeholder="https://shop.example.com/logo.png" />
          </Form.Item>
          <Typography.Text strong>{t('admin.preChat')}</Typography.Text>
          <Form.List name={['appearance', 'preChatFields']}>
            {(fields, { add, remove }) => (
              <div className="kefu-prechat-fields">
                {fields.map((field, i) => (
                  <Space key={field.key} align="baseline">
                    <Form.Item name={[field.name, 'label']} rules={[{ required: true, whitespace: true, max: 100, message: t('admin.fieldLabel') }]}><Input aria-label={`${t('admin.fieldLabel')} ${i + 1}`} placeholder={t('admin.fieldLabel')} /></Form.Item>
                    <Form.Item name={[field.name, 'name']} rules={[{ required: true, pattern: /^[A-Za-z0-9_.-]{1,64}$/, message: t('admin.fieldNameHint') }]}><Input aria-label={`${t('admin.fieldName')} ${i + 1}`} placeholder={t('admin.fieldName')} style={{ width: 130 }} /></Form.Item>
                    <Form.Item name={[field.name, 'required']} valuePropName="checked"><Checkbox>{t('admin.required')}</Checkbox></Form.Item>
                    <Button type="text" icon={<MinusCircleOutlined />} aria-label={t('admin.removeField')} onClick={() => remove(field.name)} />
                  </Space>
                ))}
                {fields.length < 20 && <Button size="small" icon={<PlusOutlined />} onClick={() => add({ name: '', label: '', required: false })}>{t('admin.addField')}</Button>}
              </div>
            )}
          </Form.List>
        </Form>
        <WidgetPreview name={watched?.name || channel?.name || t('admin.newChannel')} appearance={watched?.appearance ?? initial.appearance} />
      </div>
    </Modal>
  );
}

/** The widget as a visitor will see it, drawn from the form's values (the real one is on the test page, after saving). */
function WidgetPreview({ name, appearance }: { name: string; appearance: ChannelAppearance }) {
  const { t } = useI18n();
  const color = typeof appearance.color === 'string' && /^#[0-9a-fA-F]{6}$/.test(appearance.color) ? appearance.color : DEFAULT_COLOR;
  const fields = (appearance.preChatFields ?? []).filter((f) => f?.label);
  return (
    <div className={`kefu-widget-preview kefu-widget-preview-${appearance.position === 'left' ? 'left' : 'right'}`} style={{ ['--c' as string]: color }} data-testid="widget-preview" aria-label={t('admin.previewTitle')}>
      <Typography.Text type="secondary" className="kefu-widget-preview-caption">{t('admin.previewTitle')}</Typography.Text>
      <div className="kefu-widget-preview-panel">
        <div className="kefu-widget-preview-head">
          {appearance.avatarUrl && /^https?:\/\//.test(appearance.avatarUrl) ? <img src={appearance.avatarUrl} alt="" /> : null}
          <strong>{name}</strong>
        </div>
        <div className="kefu-widget-preview-body">
          {appearance.greeting && <div className="kefu-widget-preview-greeting">{appearance.greeting}</div>}
          {fields.length > 0 && (
            <div className="kefu-widget-preview-form">
              {fields.map((f, i) => (
                <label key={`${f.name}-${i}`}>
                  <span>
                    {f.label}
                    {f.required && <span className="kefu-widget-preview-required">*</span>}
                  </span>
                  <span className="kefu-widget-preview-input" />
                </label>
              ))}
              <span className="kefu-widget-preview-button">{t('admin.previewStart')}</span>
            </div>
          )}
        </div>
        <div className="kefu-widget-preview-compose">{t('admin.previewCompose')}</div>
      </div>
      <div className="kefu-widget-preview-launcher"><MessageOutlined /></div>
    </div>
  );
}
