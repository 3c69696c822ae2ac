import { MailOutlined, UserOutlined } from '@ant-design/icons';
import { ProForm, ProFormText } from '@ant-design/pro-components';
import { Alert, Button, Flex, Form, Result, Segmented, Steps } from 'antd';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api } from '../api.ts';
import { ErrorAlert } from '../shell/ErrorAlert.tsx';
import { confirmRule, newPasswordRules, passwordMinLength } from '../shell/forms.ts';
import type { Area } from '../shell/session.tsx';
import { AuthLayout } from './AuthLayout.tsx';
import { AREAS, parseArea } from './areas.ts';

const RESEND_SECONDS = 60;

/** `/login?view=forgot`: a code to the account's e-mail, then the code and a new password. */
export function ForgotPasswordPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [area, setArea] = useState<Area>(parseArea(params.get('area')));
  const [username, setUsername] = useState('');
  const [step, setStep] = useState(0);
  const [error, setError] = useState<unknown>(null);
  const [cooldown, setCooldown] = useState(0);

  useEffect(() => {
    if (cooldown <= 0) return;
    const id = window.setTimeout(() => setCooldown((s) => s - 1), 1000);
    return () => window.clearTimeout(id);
  }, [cooldown]);

  const requestCode = async (forUser: string) => {
    setError(null);
    try {
      await api.post('/api/auth/password-reset/request', { area, username: forUser });
      setUsername(forUser);
      setCooldown(RESEND_SECONDS);
      setStep(1);
      return true;
    } catch (e) {
      setError(e);
      return false;
    }
  };

  return (
    <AuthLayout
      title={t('auth.forgotTitle')}
      description={step === 0 ? t('auth.forgotDesc') : undefined}
      width={480}
    >
      <div data-testid="forgot-form">
        <Steps
          size="small"
          current={step}
          style={{ marginBottom: 24 }}
          items={[
            { title: t('auth.stepAccount') },
            { title: t('auth.stepReset') },
            { title: t('auth.stepDone') },
          ]}
        />
        <ErrorAlert error={error} />
        {step === 0 && (
          <ProForm<{ username: string }>
            layout="vertical"
            initialValues={{ username }}
            submitter={{
              searchConfig: { submitText: t('auth.sendCode') },
              resetButtonProps: false,
              submitButtonProps: { size: 'large', block: true },
              render: (_, dom) => dom,
            }}
            onFinish={({ username: u }) => requestCode(u.trim())}
          >
            <ProForm.Item label={t('auth.areaLabel')}>
              <Segmented<Area>
                block
                value={area}
                onChange={setArea}
                options={AREAS.map((a) => ({ value: a, label: t(`areas.${a}`) }))}
              />
            </ProForm.Item>
            <ProFormText
              name="username"
              label={t('auth.username')}
              fieldProps={{
                size: 'large',
                prefix: <UserOutlined />,
                autoComplete: 'username',
                autoFocus: true,
              }}
              rules={[{ required: true, whitespace: true, message: t('auth.usernameRequired') }]}
            />
          </ProForm>
        )}
        {step === 1 && (
          <ResetForm
            area={area}
            username={username}
            cooldown={cooldown}
            onResend={() => void requestCode(username)}
            onError={setError}
            onDone={() => {
              setError(null);
              setStep(2);
            }}
          />
        )}
        {step === 2 && (
          <Result
            status="success"
            title={t('auth.resetDone')}
            subTitle={t('auth.resetDoneDesc')}
            extra={
              <Button
                type="primary"
                onClick={() => navigate(`/login?area=${area}&username=${encodeURIComponent(username)}`)}
              >
                {t('auth.backToLogin')}
              </Button>
            }
          />
        )}
        {step < 2 && (
          <Flex justify="center" style={{ marginTop: 16 }}>
            <Link to={`/login?area=${area}`}>{t('auth.backToLogin')}</Link>
          </Flex>
        )}
      </div>
    </AuthLayout>
  );
}

interface ResetValues {
  code: string;
  newPassword: string;
  confirmPassword: string;
}

function ResetForm(props: {
  area: Area;
  username: string;
  cooldown: number;
  onResend: () => void;
  onError: (e: unknown) => void;
  onDone: () => void;
}) {
  const { t } = useTranslation();
  const [form] = Form.useForm<ResetValues>();
  const min = passwordMinLength(props.area);
  return (
    <>
      <Alert type="success" showIcon message={t('auth.codeSent')} style={{ marginBottom: 16 }} />
      <ProForm<ResetValues>
        form={form}
        layout="vertical"
        submitter={{
          searchConfig: { submitText: t('auth.resetPassword') },
          resetButtonProps: false,
          submitButtonProps: { size: 'large', block: true },
          render: (_, dom) => dom,
        }}
        onFinish={async (values) => {
          props.onError(null);
          try {
            await api.post('/api/auth/password-reset/confirm', {
              area: props.area,
              username: props.username,
              code: values.code.trim(),
              newPassword: values.newPassword,
            });
            props.onDone();
            return true;
          } catch (e) {
            props.onError(e);
            return false;
          }
        }}
      >
        <ProFormText label={t('auth.username')} fieldProps={{ value: props.username }} disabled />
        <ProFormText
          name="code"
          label={t('auth.resetCode')}
          fieldProps={{
            prefix: <MailOutlined />,
            autoComplete: 'one-time-code',
            autoFocus: true,
            suffix: (
              <Button
                type="link"
                size="small"
                disabled={props.cooldown > 0}
                onClick={props.onResend}
                style={{ padding: 0 }}
              >
                {props.cooldown > 0 ? `${t('auth.resend')} (${props.cooldown}s)` : t('auth.resend')}
              </Button>
            ),
          }}
          rules={[{ required: true, whitespace: true, message: t('auth.resetCodeRequired') }]}
        />
        <ProFormText.Password
          name="newPassword"
          label={t('security.newPassword')}
          placeholder={t('security.passwordMin', { min })}
          extra={t('security.passwordRule', { min })}
          fieldProps={{ autoComplete: 'new-password' }}
          rules={newPasswordRules(min)}
        />
        <ProFormText.Password
          name="confirmPassword"
          label={t('security.confirmPassword')}
          dependencies={['newPassword']}
          fieldProps={{ autoComplete: 'new-password' }}
          rules={[{ required: true, message: t('security.passwordMismatch') }, confirmRule('newPassword')]}
        />
      </ProForm>
    </>
  );
}
