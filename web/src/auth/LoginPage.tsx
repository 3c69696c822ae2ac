import { LockOutlined, UserOutlined } from '@ant-design/icons';
import { Button, Flex, Form, Input, Segmented } from 'antd';
import { lazy, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Navigate, useSearchParams } from 'react-router';
import { api } from '../api.ts';
import { ErrorAlert } from '../shell/ErrorAlert.tsx';
import { type Area, areaHome, type Session, useSession } from '../shell/session.tsx';
import { AuthLayout } from './AuthLayout.tsx';
import { AREAS, parseArea } from './areas.ts';

// The password form is all `/login` shows at first: it uses plain antd fields so the page does not
// download ProComponents. The later steps (TOTP, enrolment, password change, reset) load on demand.
const LoginStep = lazy(() => import('./LoginSteps.tsx').then((m) => ({ default: m.LoginStep })));
const ForgotPasswordPage = lazy(() =>
  import('./ForgotPasswordPage.tsx').then((m) => ({ default: m.ForgotPasswordPage })),
);
const MemberFirstLoginPage = lazy(() =>
  import('../member/FirstLogin.tsx').then((m) => ({ default: m.MemberFirstLoginPage })),
);

/** Where to go after login: the `redirect` asked for when it is inside the person's area, else the area's home. */
function destination(session: Session, redirect: string | null): string {
  const home = areaHome(session.user.area);
  if (redirect && (redirect === home || redirect.startsWith(`${home}/`))) return redirect;
  return home;
}

/**
 * `/login` and `/login?area=merchant`: password login, then the stage steps until the session is active.
 * `/login?view=forgot&area=…` is the password reset (a query, so the server's `/login` entry serves it);
 * `/login?view=first&area=member` the member portal's first login by SMS code.
 */
export function LoginPage() {
  const { session } = useSession();
  const [params] = useSearchParams();
  if (session?.stage === 'active')
    return <Navigate to={destination(session, params.get('redirect'))} replace />;
  if (session) return <LoginStep session={session} />;
  if (params.get('view') === 'forgot') return <ForgotPasswordPage />;
  if (params.get('view') === 'first') return <MemberFirstLoginPage />;
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
  const [submitting, setSubmitting] = useState(false);
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
        <Form<LoginForm>
          form={form}
          layout="vertical"
          initialValues={{ username: params.get('username') ?? '' }}
          disabled={submitting}
          onFinish={async (values) => {
            setError(null);
            setSubmitting(true);
            try {
              const next = await api.post<Session>('/api/auth/login', {
                area,
                username: values.username.trim(),
                password: values.password,
              });
              setSession(next);
            } catch (e) {
              setError(e);
              form.setFieldValue('password', '');
            } finally {
              setSubmitting(false);
            }
          }}
        >
          <Form.Item label={t('auth.areaLabel')}>
            <Segmented<Area>
              block
              value={area}
              onChange={pickArea}
              options={AREAS.map((a) => ({ value: a, label: t(`areas.${a}`) }))}
            />
          </Form.Item>
          <Form.Item
            name="username"
            label={t('auth.username')}
            rules={[{ required: true, whitespace: true, message: t('auth.usernameRequired') }]}
            extra={area === 'member' ? t('auth.memberUsernameHint') : undefined}
          >
            <Input size="large" prefix={<UserOutlined />} autoComplete="username" autoFocus />
          </Form.Item>
          <Form.Item
            name="password"
            label={t('auth.password')}
            rules={[{ required: true, message: t('auth.passwordRequired') }]}
          >
            <Input.Password size="large" prefix={<LockOutlined />} autoComplete="current-password" />
          </Form.Item>
          <Button type="primary" htmlType="submit" size="large" block loading={submitting}>
            {t('auth.login')}
          </Button>
        </Form>
        <Flex justify={area === 'member' ? 'space-between' : 'flex-end'} style={{ marginTop: 12 }}>
          {area === 'member' && (
            <Link to="/login?view=first&area=member" data-testid="member-first-login-link">
              {t('auth.firstLogin.link')}
            </Link>
          )}
          <Link to={`/login?view=forgot&area=${area}`}>{t('auth.forgot')}</Link>
        </Flex>
      </div>
    </AuthLayout>
  );
}
