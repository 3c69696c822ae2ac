import { ProForm, ProFormText } from '@ant-design/pro-components';
import { Alert, App, Button, Flex, Form } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, api } from '../api.ts';
import { ErrorAlert } from '../shell/ErrorAlert.tsx';
import { passwordMinLength } from '../shell/forms.ts';
import { PasswordChangeFields } from '../shell/PasswordChangeFields.tsx';
import { type Session, useSession } from '../shell/session.tsx';
import { TotpEnrolment } from '../shell/TotpEnrolment.tsx';
import { AuthLayout } from './AuthLayout.tsx';

/** The step a half-done login is at: TOTP code, first password change, or TOTP enrolment. */
export function LoginStep({ session }: { session: Session }) {
  switch (session.stage) {
    case 'totp':
      return <TotpStep session={session} />;
    case 'password_change':
      return <PasswordChangeStep session={session} />;
    case 'totp_enrol':
      return <EnrolStep />;
    default:
      return null;
  }
}

/** Handles what every step may meet: a session that timed out during the step goes back to the login form. */
function useStepErrors() {
  const { setSession } = useSession();
  const { message } = App.useApp();
  const { t } = useTranslation();
  const [error, setError] = useState<unknown>(null);
  const fail = (e: unknown) => {
    if (e instanceof ApiError && e.code === 'UNAUTHENTICATED') {
      message.warning(t('auth.sessionExpired'));
      setSession(null);
      return;
    }
    setError(e);
  };
  return { error, setError, fail };
}

function SwitchAccount() {
  const { t } = useTranslation();
  const { logout } = useSession();
  return (
    <Flex justify="center" style={{ marginTop: 16 }}>
      <Button type="link" onClick={() => void logout()}>
        {t('auth.switchAccount')}
      </Button>
    </Flex>
  );
}

function TotpStep({ session }: { session: Session }) {
  const { t } = useTranslation();
  const { setSession } = useSession();
  const { error, setError, fail } = useStepErrors();
  const [form] = Form.useForm<{ code: string }>();
  return (
    <AuthLayout
      title={t('auth.totpTitle')}
      description={t('auth.totpDesc', { username: session.user.username })}
    >
      <div data-testid="totp-form">
        <ErrorAlert error={error} />
        <ProForm<{ code: string }>
          form={form}
          layout="vertical"
          submitter={{
            searchConfig: { submitText: t('auth.verify') },
            resetButtonProps: false,
            submitButtonProps: { size: 'large', block: true },
            render: (_, dom) => dom,
          }}
          onFinish={async ({ code }) => {
            setError(null);
            try {
              setSession(await api.post<Session>('/api/auth/totp', { code: code.replace(/\s+/g, '') }));
              return true;
            } catch (e) {
              fail(e);
              form.setFieldValue('code', '');
              return false;
            }
          }}
        >
          <ProFormText
            name="code"
            label={t('auth.totpCode')}
            extra={t('auth.totpCodeHint')}
            placeholder="123456"
            fieldProps={{ size: 'large', autoComplete: 'one-time-code', autoFocus: true, maxLength: 32 }}
            rules={[{ required: true, whitespace: true, message: t('auth.totpCodeRequired') }]}
          />
        </ProForm>
      </div>
      <SwitchAccount />
    </AuthLayout>
  );
}

interface PasswordChange {
  currentPassword: string;
  newPassword: string;
  confirmPassword: string;
}

function PasswordChangeStep({ session }: { session: Session }) {
  const { t } = useTranslation();
  const { setSession } = useSession();
  const { error, setError, fail } = useStepErrors();
  const min = passwordMinLength(session.user.area);
  return (
    <AuthLayout title={t('auth.pwChangeTitle')}>
      <div data-testid="password-change-form">
        <Alert type="info" showIcon message={t('auth.pwChangeDesc')} style={{ marginBottom: 16 }} />
        <ErrorAlert error={error} />
        <ProForm<PasswordChange>
          layout="vertical"
          submitter={{
            searchConfig: { submitText: t('security.changePassword') },
            resetButtonProps: false,
            submitButtonProps: { size: 'large', block: true },
            render: (_, dom) => dom,
          }}
          onFinish={async (values) => {
            setError(null);
            try {
              setSession(
                await api.post<Session>('/api/auth/password', {
                  currentPassword: values.currentPassword,
                  newPassword: values.newPassword,
                }),
              );
              return true;
            } catch (e) {
              fail(e);
              return false;
            }
          }}
        >
          <PasswordChangeFields min={min} currentLabel={t('auth.currentPassword')} autoFocus />
        </ProForm>
      </div>
      <SwitchAccount />
    </AuthLayout>
  );
}

function EnrolStep() {
  const { t } = useTranslation();
  const { setSession } = useSession();
  return (
    <AuthLayout title={t('auth.enrolTitle')} width={600}>
      <div data-testid="totp-enrol">
        <Alert type="info" showIcon message={t('auth.enrolDesc')} style={{ marginBottom: 20 }} />
        <TotpEnrolment onDone={(next) => setSession(next)} />
      </div>
      <SwitchAccount />
    </AuthLayout>
  );
}
