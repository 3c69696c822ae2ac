import { LockOutlined, UserOutlined } from '@ant-design/icons';
import { ProForm, ProFormText } from '@ant-design/pro-components';
import { Flex, Form, Segmented } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Navigate, useSearchParams } from 'react-router';
import { api } from '../api.ts';
import { ErrorAlert } from '../shell/ErrorAlert.tsx';
import { type Area, areaHome, type Session, useSession } from '../shell/session.tsx';
import { AuthLayout } from './AuthLayout.tsx';
import { AREAS, parseArea } from './areas.ts';
import { ForgotPasswordPage } from './ForgotPasswordPage.tsx';
import { LoginStep } from './LoginSteps.tsx';

/** Where to go after login: the `redirect` asked for when it is inside the person's area, else the area's home. */
function destination(session: Session, redirect: string | null): string {
  const home = areaHome(session.user.area);
  if (redirect && (redirect === home || redirect.startsWith(`${home}/`))) return redirect;
  return home;
}

/**
 * `/login` and `/login?area=merchant`: password login, then the stage steps until the session is active.
 * `/login?view=forgot&area=…` is the password reset (a query, so the server's `/login` entry serves it).
 */
export function LoginPage() {
  const { session } = useSession();
  const [params] = useSearchParams();
  if (session?.stage === 'active')
    return <Navigate to={destination(session, params.get('redirect'))} replace />;
  if (session) return <LoginStep session={session} />;
  if (params.get('view') === 'forgot') return <ForgotPasswordPage />;
  return <PasswordLogin />;
}

interface LoginForm {
  area: Area;
  username: string;
  password: string;
}

function PasswordLogin() {
  const { t } = useTranslation();
  const { setSession } = useSession();
  const [params, setParams] = useSearchParams();
  const area = parseArea(params.get('area'));
  const [error, setError] = useState<unknown>(null);
  const [form] = Form.useForm<LoginForm>();

  const pickArea = (next: Area) => {
    const copy = new URLSearchParams(params);
    copy.set('area', next);
    setParams(copy, { replace: true });
    setError(null);
  };

  return (
    <AuthLayout title={t('auth.loginTitle')}>
      <div data-testid="login-form">
        <ErrorAlert error={error} />
        <ProForm<LoginForm>
          form={form}
          layout="vertical"
          initialValues={{ username: params.get('username') ?? '' }}
          submitter={{
            searchConfig: { submitText: t('auth.login') },
            resetButtonProps: false,
            submitButtonProps: { size: 'large', block: true },
            render: (_, dom) => dom,
          }}
          onFinish={async (values) => {
            setError(null);
            try {
              const next = await api.post<Session>('/api/auth/login', {
                area,
                username: values.username.trim(),
                password: values.password,
              });
              setSession(next);
              return true;
            } catch (e) {
              setError(e);
              form.setFieldValue('password', '');
              return false;
            }
          }}
        >
          <ProForm.Item label={t('auth.areaLabel')}>
            <Segmented<Area>
              block
              value={area}
              onChange={pickArea}
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
          <ProFormText.Password
            name="password"
            label={t('auth.password')}
            fieldProps={{ size: 'large', prefix: <LockOutlined />, autoComplete: 'current-password' }}
            rules={[{ required: true, message: t('auth.passwordRequired') }]}
          />
        </ProForm>
        <Flex justify="flex-end" style={{ marginTop: 12 }}>
          <Link to={`/login?view=forgot&area=${area}`}>{t('auth.forgot')}</Link>
        </Flex>
      </div>
    </AuthLayout>
  );
}
