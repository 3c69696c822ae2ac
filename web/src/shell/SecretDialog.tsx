import { CopyOutlined } from '@ant-design/icons';
import { Alert, App, Button, Checkbox, Modal, Space, Tooltip, Typography } from 'antd';
import { type ReactElement, type ReactNode, useCallback, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';

/** One line of a show-once dialog: the secret itself, or what goes with it (AppID, username, login URL). */
export interface SecretRow {
  label: string;
  value: string;
  /** The secret (shown highlighted); the other rows help to use it. */
  secret?: boolean;
  testId?: string;
}

/** What a show-once dialog shows: a title, why it is shown only now, and the rows to copy. */
export interface ShownSecret {
  title: string;
  /** Defaults to the general "shown only this once" warning. */
  warning?: string;
  description?: ReactNode;
  rows: SecretRow[];
}

/**
 * The one dialog for a secret shown once (an app secret, a temporary password): it cannot be closed
 * by Esc, by a click beside it or by an X, only by its button, which stays disabled until "I have
 * saved it" is ticked. Every row has its copy button, and all of them can be copied at once.
 */
export function SecretDialog({ shown, onClose }: { shown: ShownSecret | null; onClose: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [saved, setSaved] = useState(false);
  const close = () => {
    setSaved(false);
    onClose();
  };
  const copy = async (text: string) => {
    try {
      await navigator.clipboard.writeText(text);
      message.success(t('actions.copied'));
    } catch {
      message.error(t('common.copyFailed'));
    }
  };
  const all = shown?.rows.map((r) => `${r.label}: ${r.value}`).join('\n') ?? '';
  return (
    <Modal
      open={shown !== null}
      title={shown?.title}
      width={560}
      closable={saved}
      keyboard={saved}
      maskClosable={false}
      destroyOnHidden
      onCancel={saved ? close : undefined}
      footer={
        <Space wrap style={{ justifyContent: 'flex-end' }}>
          <Button icon={<CopyOutlined />} onClick={() => copy(all)}>
            {t('actions.copyAll')}
          </Button>
          <Tooltip title={saved ? undefined : t('common.secretCloseHint')}>
            <Button type="primary" disabled={!saved} onClick={close} data-testid="secret-dialog-close">
              {t('actions.done')}
            </Button>
          </Tooltip>
        </Space>
      }
    >
      <div data-testid="one-time-secret">
        <Alert
          type="warning"
          showIcon
          message={shown?.warning ?? t('common.secretOnce')}
          description={shown?.description}
          style={{ marginBottom: 16 }}
        />
        {shown?.rows.map((row) => (
          <div key={row.label} style={{ marginBottom: 12 }}>
            <Typography.Text type="secondary">{row.label}</Typography.Text>
            <Space.Compact style={{ width: '100%', marginTop: 4 }}>
              <div
                className="qy-mono"
                data-testid={row.testId}
                style={{
                  flex: 1,
                  minWidth: 0,
                  padding: '4px 11px',
                  wordBreak: 'break-all',
                  border: `1px solid ${row.secret ? '#b7eb8f' : '#d9d9d9'}`,
                  background: row.secret ? '#f6ffed' : '#fafafa',
                  borderRadius: '6px 0 0 6px',
                  fontSize: row.secret ? 15 : 14,
                }}
              >
                {row.value}
              </div>
              <Button
                icon={<CopyOutlined />}
                aria-label={`${t('actions.copy')} ${row.label}`}
                onClick={() => copy(row.value)}
              >
                {t('actions.copy')}
              </Button>
            </Space.Compact>
          </div>
        ))}
        <Checkbox
          checked={saved}
          onChange={(e) => setSaved(e.target.checked)}
          data-testid="secret-dialog-saved"
          style={{ marginTop: 4 }}
        >
          {t('common.secretSavedCheck')}
        </Checkbox>
      </div>
    </Modal>
  );
}

/**
 * A show-once dialog for a component: `show` opens it with a secret; `holder` is rendered where the
 * component renders (the dialog lives in its state, so it stays open when the form that asked closes).
 */
export function useSecretDialog(): { show: (shown: ShownSecret) => void; holder: ReactElement } {
  const [shown, setShown] = useState<ShownSecret | null>(null);
  const show = useCallback((next: ShownSecret) => setShown(next), []);
  const holder = useMemo(() => <SecretDialog shown={shown} onClose={() => setShown(null)} />, [shown]);
  return { show, holder };
}
