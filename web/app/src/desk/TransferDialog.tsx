/**
 * Where a conversation goes: a colleague (who must accept it) or a skill group's queue, with a note
 * for whoever takes it. The desk's Transfer, and the monitor's Move of a visitor who waits.
 */
import { useState } from 'react';
import { Form, Input, Modal, Radio, Select } from 'antd';
import type { Colleagues } from '../api.ts';
import { useI18n } from '../i18n.tsx';
import type { TransferTarget } from './useDesk.tsx';

export function TransferDialog({ title, colleagues, exceptAgentId, exceptSkillGroupId, onTransfer, onDone }: {
  title: string;
  colleagues: Colleagues;
  /** Not offered as a target: oneself, or the group the visitor already waits in. */
  exceptAgentId?: string;
  exceptSkillGroupId?: string | null;
  onTransfer: (to: TransferTarget, memo: string) => void;
  onDone: () => void;
}) {
  const { t } = useI18n();
  const [kind, setKind] = useState<'agent' | 'skillGroup'>('agent');
  const [target, setTarget] = useState<string | null>(null);
  const [memo, setMemo] = useState('');
  const agents = colleagues.agents.filter((a) => a.id !== exceptAgentId);
  const groups = colleagues.skillGroups.filter((g) => g.id !== exceptSkillGroupId);
  const submit = () => {
    if (!target) return;
    onTransfer(kind === 'agent' ? { agentId: target } : { skillGroupId: target }, memo.trim());
    onDone();
  };
  return (
    <Modal open title={title} okText={t('desk.transfer')} cancelText={t('desk.cancel')} onOk={submit} onCancel={onDone} okButtonProps={{ disabled: !target }} destroyOnHidden>
      <Form layout="vertical">
        <Form.Item>
          <Radio.Group value={kind} onChange={(e) => { setKind(e.target.value as 'agent' | 'skillGroup'); setTarget(null); }} optionType="button" options={[{ value: 'agent', label: t('desk.toAgent') }, { value: 'skillGroup', label: t('desk.toGroup') }]} />
        </Form.Item>
        <Form.Item label={kind === 'agent' ? t('desk.toAgent') : t('desk.toGroup')}>
          <Select
            showSearch={{ optionFilterProp: 'label' }}
            aria-label={t('desk.transferTarget')}
            value={target}
            onChange={setTarget}
            placeholder={t('desk.choose')}
            options={kind === 'agent' ? agents.map((a) => ({ value: a.id, label: a.displayName })) : groups.map((g) => ({ value: g.id, label: g.name }))}
          />
        </Form.Item>
        <Form.Item label={t('desk.memo')}>
          <Input.TextArea aria-label={t('desk.memo')} value={memo} onChange={(e) => setMemo(e.target.value)} maxLength={2000} autoSize={{ minRows: 2, maxRows: 6 }} placeholder={t('desk.memoHint')} />
        </Form.Item>
      </Form>
    </Modal>
  );
}
