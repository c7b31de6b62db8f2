/**
 * The visitor pane's contact (联系人): who this visitor is to the company. Bound: their details and
 * the agents' notes (edited in place), edit or unbind. Not bound: find a contact by part of any
 * detail and bind it, or create one for this visitor. Shown with `contacts.read`; changing needs
 * `contacts.write` (the server checks both, and says why when it refuses).
 */
import { useEffect, useRef, useState } from 'react';
import { App, Button, Descriptions, Form, Input, Modal, Popconfirm, Select, Space, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { api, type Contact } from '../api.ts';
import { errorText } from '../common.tsx';
import { useI18n } from '../i18n.tsx';
import { useFetched } from '../useFetched.ts';

type Fields = { name: string; email: string; phone: string; company: string; notes: string };

/** Waits this long after the last key before asking the server for matching contacts. */
const SEARCH_AFTER_MS = 250;

export function ContactCard({ visitorId, visitorName, canWrite }: { visitorId: string; visitorName: string | null; canWrite: boolean }) {
  const { t } = useI18n();
  const { message } = App.useApp();
  const path = `/visitors/${encodeURIComponent(visitorId)}/contact`;
  const bound = useFetched<Contact | null>(path);
  const [contact, setContact] = useState<Contact | null>(null);
  const [form, setForm] = useState<'new' | 'edit' | null>(null);
  useEffect(() => setContact(bound.data ?? null), [bound.data]);

  const act = async (work: () => Promise<Contact | null>): Promise<boolean> => {
    try {
      setContact(await work());
      return true;
    } catch (e) {
      message.error(errorText(e, t));
      return false;
    }
  };
  const bind = (contactId: string | null) => act(() => api<Contact | null>('PUT', path, { contactId }));
  const saveNotes = (notes: string) => contact && notes !== contact.notes && void act(() => api<Contact>('PATCH', `/contacts/${contact.id}`, { notes }));

  return (
    <div className="kefu-contact" data-testid="contact-card">
      <Typography.Text strong className="kefu-side-heading">{t('contact.title')}</Typography.Text>
      {bound.loading && !contact ? (
        <Typography.Text type="secondary">{t('desk.loading')}</Typography.Text>
      ) : bound.error && !contact ? (
        // e.g. a visitor of a skill group outside one's department: their contact is not one's to see.
        <Typography.Text type="secondary">{errorText(bound.error, t)}</Typography.Text>
      ) : contact ? (
        <>
          <Descriptions size="small" column={1} colon={false} className="kefu-side-facts">
            <Descriptions.Item label={t('contact.name')}>{contact.name}</Descriptions.Item>
            {contact.email && <Descriptions.Item label={t('contact.email')}>{contact.email}</Descriptions.Item>}
            {contact.phone && <Descriptions.Item label={t('contact.phone')}>{contact.phone}</Descriptions.Item>}
            {contact.company && <Descriptions.Item label={t('contact.company')}>{contact.company}</Descriptions.Item>}
          </Descriptions>
          <Typography.Text type="secondary" className="kefu-contact-label">{t('contact.notes')}</Typography.Text>
          <Typography.Paragraph
            className="kefu-contact-notes"
            editable={canWrite ? { onChange: saveNotes, maxLength: 5000, autoSize: { minRows: 2, maxRows: 8 }, tooltip: t('contact.editNotes'), text: contact.notes } : false}
          >
            {contact.notes || <Typography.Text type="secondary">{t('contact.noNotes')}</Typography.Text>}
          </Typography.Paragraph>
          {canWrite && (
            <Space size={4}>
              <Button size="small" onClick={() => setForm('edit')}>{t('admin.edit')}</Button>
              <Popconfirm title={t('contact.unbindConfirm')} okText={t('contact.unbind')} cancelText={t('desk.cancel')} onConfirm={() => void bind(null)}>
                <Button size="small">{t('contact.unbind')}</Button>
              </Popconfirm>
            </Space>
          )}
        </>
      ) : canWrite ? (
        <Space direction="vertical" style={{ width: '100%' }} size={6}>
          <ContactSearch onPick={(id) => void bind(id)} />
          <Button size="small" icon={<PlusOutlined />} onClick={() => setForm('new')}>{t('contact.new')}</Button>
        </Space>
      ) : (
        <Typography.Text type="secondary">{t('contact.none')}</Typography.Text>
      )}
      {form && (
        <ContactForm
          contact={form === 'edit' ? contact : null}
          suggestedName={visitorName}
          onClose={() => setForm(null)}
          onSave={async (fields) => {
            const saved = form === 'edit' && contact
              ? await act(() => api<Contact>('PATCH', `/contacts/${contact.id}`, fields))
              : await act(async () => api<Contact | null>('PUT', path, { contactId: (await api<Contact>('POST', '/contacts', fields)).id }));
            if (saved) setForm(null);
          }}
        />
      )}
    </div>
  );
}

/** A select that asks the server for contacts matching what is typed. */
function ContactSearch({ onPick }: { onPick: (contactId: string) => void }) {
  const { t } = useI18n();
  const [found, setFound] = useState<Contact[]>([]);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(() => () => {
    if (timer.current) clearTimeout(timer.current);
  }, []);
  const search = (q: string) => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => {
      api<Contact[]>('GET', `/contacts?limit=20&q=${encodeURIComponent(q.trim())}`).then(setFound, () => setFound([]));
    }, SEARCH_AFTER_MS);
  };
  const detail = (c: Contact) => [c.email, c.phone, c.company].filter(Boolean).join(' · ');
  return (
    <Select<string>
      showSearch={{ filterOption: false, onSearch: search }}
      style={{ width: '100%' }}
      aria-label={t('contact.find')}
      placeholder={t('contact.find')}
      value={null}
      onFocus={() => search('')}
      onChange={onPick}
      notFoundContent={t('contact.noMatch')}
      options={found.map((c) => ({ value: c.id, label: detail(c) ? `${c.name} · ${detail(c)}` : c.name }))}
    />
  );
}

function ContactForm({ contact, suggestedName, onClose, onSave }: { contact: Contact | null; suggestedName: string | null; onClose: () => void; onSave: (fields: Fields) => Promise<void> }) {
  const { t } = useI18n();
  const [form] = Form.useForm<Fields>();
  const [busy, setBusy] = useState(false);
  const save = async () => {
    const fields = await form.validateFields();
    setBusy(true);
    await onSave({ name: fields.name, email: fields.email ?? '', phone: fields.phone ?? '', company: fields.company ?? '', notes: fields.notes ?? '' });
    setBusy(false);
  };
  const initial = contact ?? { name: suggestedName ?? '', email: '', phone: '', company: '', notes: '' };
  return (
    <Modal open title={contact ? t('contact.edit') : t('contact.new')} okText={t('admin.save')} cancelText={t('desk.cancel')} confirmLoading={busy} onOk={() => void save()} onCancel={onClose} destroyOnHidden>
      <Form form={form} layout="vertical" initialValues={initial}>
        <Form.Item name="name" label={t('contact.name')} rules={[{ required: true, whitespace: true, max: 100, message: t('contact.name') }]}><Input aria-label={t('contact.name')} /></Form.Item>
        <Form.Item name="email" label={t('contact.email')} rules={[{ type: 'email', max: 200 }]}><Input aria-label={t('contact.email')} /></Form.Item>
        <Form.Item name="phone" label={t('contact.phone')} rules={[{ pattern: /^\+?[0-9 -]{5,31}$/, message: t('contact.phoneHint') }]}><Input aria-label={t('contact.phone')} /></Form.Item>
        <Form.Item name="company" label={t('contact.company')} rules={[{ max: 200 }]}><Input aria-label={t('contact.company')} /></Form.Item>
        <Form.Item name="notes" label={t('contact.notes')} rules={[{ max: 5000 }]}><Input.TextArea aria-label={t('contact.notes')} autoSize={{ minRows: 2, maxRows: 8 }} /></Form.Item>
      </Form>
    </Modal>
  );
}
