import { KeyOutlined, LockOutlined, SafetyCertificateOutlined } from '@ant-design/icons';
import { ModalForm, ProForm, ProFormText } from '@ant-design/pro-components';
import { App, Button, Card, Flex, Form, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../api.ts';
import { errorText } from './errors.ts';
import { passwordMinLength } from './forms.ts';
import { PasswordChangeFields } from './PasswordChangeFields.tsx';
import { type Session, useSession } from './session.tsx';
import { TotpEnrolment } from './TotpEnrolment.tsx';

export interface AccountSecurityProps {
  /** Called after a change that returned a new session (password, TOTP); the context is updated already. */
  onChanged?: (session: Session) => void;
}

/**
 * The logged-in person's own security: change the password; merchants and agents turn TOTP on (QR,
 * confirm, recovery codes) or off (with the password). Operators always have TOTP and cannot turn it off.
 * Reads and updates the session through SessionContext, so it works in every area.
 */
export function AccountSecurity({ onChanged }: AccountSecurityProps) {
  const { session } = useSession();
  if (!session) return null;
  return (
    <Flex vertical gap={16}>
      <PasswordCard onChanged={onChanged} />
      <TotpCard onChanged={onChanged} />
    </Flex>
  );
}

interface PasswordForm {
  currentPassword: string;
  newPassword: string;
  confirmPassword: string;
}

function PasswordCard({ onChanged }: AccountSecurityProps) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const { session, setSession } = useSession();
  const [form] = Form.useForm<PasswordForm>();
  const min = passwordMinLength(session?.user.area ?? 'operator');
  return (
    <Card
      title={
        <span>
          <LockOutlined style={{ marginRight: 8 }} />
          {t('security.passwordTitle')}
        </span>
      }
    >
      <Typography.Paragraph type="secondary">{t('security.passwordDesc')}</Typography.Paragraph>
      <ProForm<PasswordForm>
        form={form}
        layout="vertical"
        submitter={{
          searchConfig: { submitText: t('security.changePassword') },
          resetButtonProps: { style: { display: 'none' } },
        }}
        onFinish={async (values) => {
          try {
            const next = await api.post<Session>('/api/auth/password', {
              currentPassword: values.currentPassword,
              newPassword: values.newPassword,
            });
            setSession(next);
            onChanged?.(next);
            form.resetFields();
            message.success(t('security.passwordChanged'));
            return true;
          } catch (e) {
            message.error(errorText(e));
            return false;
          }
        }}
      >
        <PasswordChangeFields min={min} currentLabel={t('security.currentPassword')} />
      </ProForm>
    </Card>
  );
}

function TotpCard({ onChanged }: AccountSecurityProps) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const { session, setSession } = useSession();
  const [enrolling, setEnrolling] = useState(false);
  if (!session) return null;
  const { user } = session;
  const isOperator = user.area === 'operator';

  return (
    <Card
      title={
        <span>
          <SafetyCertificateOutlined style={{ marginRight: 8 }} />
          {t('security.totpTitle')}
        </span>
      }
      extra={
        user.totpEnabled ? (
          <Tag color="success">{t('security.totpOn')}</Tag>
        ) : (
          <Tag>{t('security.totpOff')}</Tag>
        )
      }
    >
      <Typography.Paragraph type="secondary">
        {isOperator ? t('security.totpDescOperator') : t('security.totpDescOther')}
      </Typography.Paragraph>
      {!isOperator && !user.totpEnabled && !enrolling && (
        <Button type="primary" icon={<KeyOutlined />} onClick={() => setEnrolling(true)}>
          {t('security.enableTotp')}
        </Button>
      )}
      {!isOperator && !user.totpEnabled && enrolling && (
        <TotpEnrolment
          onCancel={() => setEnrolling(false)}
          onDone={(next) => {
            setSession(next);
            onChanged?.(next);
            setEnrolling(false);
            message.success(t('security.totpEnabled'));
          }}
        />
      )}
      {!isOperator && user.totpEnabled && (
        <ModalForm<{ password: string }>
          title={t('security.disableTotp')}
          width={420}
          modalProps={{ destroyOnHidden: true, okButtonProps: { danger: true } }}
          submitter={{ searchConfig: { submitText: t('security.disableTotpConfirm') } }}
          trigger={<Button danger>{t('security.disableTotp')}</Button>}
          onFinish={async ({ password }) => {
            try {
              const next = await api.post<Session>('/api/auth/totp/disable', { password });
              setSession(next);
              onChanged?.(next);
              message.success(t('security.totpDisabled'));
              return true;
            } catch (e) {
              message.error(errorText(e));
              return false;
            }
          }}
        >
          <Typography.Paragraph type="secondary">{t('security.disableTotpHint')}</Typography.Paragraph>
          <ProFormText.Password
            name="password"
            label={t('security.password')}
            fieldProps={{ autoComplete: 'current-password' }}
            rules={[{ required: true, message: t('auth.passwordRequired') }]}
          />
        </ModalForm>
      )}
    </Card>
  );
}
