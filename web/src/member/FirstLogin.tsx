import { MobileOutlined, SafetyOutlined } from '@ant-design/icons';
import { ProForm, ProFormCheckbox, ProFormText } from '@ant-design/pro-components';
import { Alert, Button, Flex, Form, Radio, Result, Space, Steps, Tag, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { api } from '../api.ts';
import { AuthLayout } from '../auth/AuthLayout.tsx';
import { ErrorAlert } from '../shell/ErrorAlert.tsx';
import { confirmRule, newPasswordRules, passwordMinLength } from '../shell/forms.ts';

const RESEND_SECONDS = 60;
const PHONE = /^1\d{10}$/;

interface FirstLoginMember {
  memberNo: string;
  merchantName: string;
  name: string;
  type: 'personal' | 'enterprise';
  idNoMasked: string;
  hasLogin: boolean;
}

interface Verified {
  setupToken: string;
  phoneLoginAvailable: boolean;
  members: FirstLoginMember[];
}

/**
 * `/login?view=first&area=member`: the member portal's first login (首次登录) — a code by SMS to
 * the member's bound phone, the choice of which of its members (those with a login already shown
 * but not selectable), then a username and password (and login by phone when it is still free).
 */
export function MemberFirstLoginPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [step, setStep] = useState(0);
  const [phone, setPhone] = useState('');
  const [verified, setVerified] = useState<Verified | null>(null);
  const [memberNo, setMemberNo] = useState<string | null>(null);
  const [done, setDone] = useState<{ username: string; phoneLogin: boolean } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [cooldown, setCooldown] = useState(0);
  const [codeSent, setCodeSent] = useState(false);
  const [phoneForm] = Form.useForm<{ phone: string; code: string }>();

  useEffect(() => {
    if (cooldown <= 0) return;
    const id = window.setTimeout(() => setCooldown((s) => s - 1), 1000);
    return () => window.clearTimeout(id);
  }, [cooldown]);

  const sendCode = async () => {
    setError(null);
    try {
      const value = (await phoneForm.validateFields(['phone'])).phone.trim();
      await api.post('/api/auth/member/first-login/code', { phone: value });
      setPhone(value);
      setCodeSent(true);
      setCooldown(RESEND_SECONDS);
    } catch (e) {
      // A field left wrong shows under the field; a refusal from the server above the form.
      if (!(e && typeof e === 'object' && 'errorFields' in e)) setError(e);
    }
  };

  const restart = () => {
    setVerified(null);
    setMemberNo(null);
    setStep(0);
  };

  return (
    <AuthLayout
      title={t('auth.firstLogin.title')}
      description={step === 0 ? t('auth.firstLogin.desc') : undefined}
      width={520}
    >
      <div data-testid="member-first-login">
        <Steps
          size="small"
          current={step}
          style={{ marginBottom: 24 }}
          responsive={false}
          items={[
            { title: t('auth.firstLogin.stepPhone') },
            { title: t('auth.firstLogin.stepMember') },
            { title: t('auth.firstLogin.stepAccount') },
          ]}
        />
        <ErrorAlert error={error} />
        {step === 0 && (
          <ProForm<{ phone: string; code: string }>
            form={phoneForm}
            layout="vertical"
            submitter={{
              searchConfig: { submitText: t('auth.firstLogin.verify') },
              resetButtonProps: false,
              submitButtonProps: { size: 'large', block: true, disabled: !codeSent },
              render: (_, dom) => dom,
            }}
            onFinish={async (values) => {
              setError(null);
              try {
                const answer = await api.post<Verified>('/api/auth/member/first-login/verify', {
                  phone: values.phone.trim(),
                  code: values.code.trim(),
                });
                setPhone(values.phone.trim());
                setVerified(answer);
                setMemberNo(answer.members.find((m) => !m.hasLogin)?.memberNo ?? null);
                setStep(1);
                return true;
              } catch (e) {
                setError(e);
                return false;
              }
            }}
          >
            {codeSent && (
              <Alert
                type="success"
                showIcon
                message={t('auth.firstLogin.codeSent')}
                style={{ marginBottom: 16 }}
              />
            )}
            <ProFormText
              name="phone"
              label={t('auth.firstLogin.phone')}
              fieldProps={{
                size: 'large',
                prefix: <MobileOutlined />,
                inputMode: 'numeric',
                autoComplete: 'tel',
                maxLength: 11,
                autoFocus: true,
              }}
              rules={[{ required: true, pattern: PHONE, message: t('auth.firstLogin.phoneRequired') }]}
            />
            <ProFormText
              name="code"
              label={t('auth.firstLogin.code')}
              fieldProps={{
                size: 'large',
                prefix: <SafetyOutlined />,
                inputMode: 'numeric',
                autoComplete: 'one-time-code',
                maxLength: 6,
                suffix: (
                  <Button
                    type="link"
                    size="small"
                    data-testid="send-code"
                    disabled={cooldown > 0}
                    onClick={() => void sendCode()}
                    style={{ padding: 0 }}
                  >
                    {cooldown > 0
                      ? `${t('auth.resend')} (${cooldown}s)`
                      : codeSent
                        ? t('auth.resend')
                        : t('auth.firstLogin.sendCode')}
                  </Button>
                ),
              }}
              rules={[{ required: true, whitespace: true, message: t('auth.firstLogin.codeRequired') }]}
            />
          </ProForm>
        )}
        {step === 1 && verified && (
          <Flex vertical gap={16}>
            <Typography.Text strong>{t('auth.firstLogin.chooseMember')}</Typography.Text>
            {verified.members.length === 0 ? (
              <Alert type="info" showIcon message={t('auth.firstLogin.noMembers')} />
            ) : (
              <Radio.Group value={memberNo} onChange={(e) => setMemberNo(e.target.value as string)}>
                <Space direction="vertical" style={{ width: '100%' }}>
                  {verified.members.map((m) => (
                    <Radio
                      key={m.memberNo}
                      value={m.memberNo}
                      disabled={m.hasLogin}
                      data-testid={`member-${m.memberNo}`}
                    >
                      <Flex vertical>
                        <span>
                          {m.name} <Tag>{t(`auth.firstLogin.memberType.${m.type}`)}</Tag>
                          {m.hasLogin && <Tag color="default">{t('auth.firstLogin.hasLogin')}</Tag>}
                        </span>
                        <Typography.Text type="secondary">
                          {t('auth.firstLogin.merchant')}：{m.merchantName}
                          {m.idNoMasked ? ` · ${t('auth.firstLogin.idNo')}：${m.idNoMasked}` : ''}
                        </Typography.Text>
                      </Flex>
                    </Radio>
                  ))}
                </Space>
              </Radio.Group>
            )}
            <Button type="primary" size="large" block disabled={!memberNo} onClick={() => setStep(2)}>
              {t('auth.firstLogin.next')}
            </Button>
          </Flex>
        )}
        {step === 2 && verified && memberNo && (
          <AccountForm
            verified={verified}
            memberNo={memberNo}
            onError={setError}
            onExpired={restart}
            onDone={(result) => {
              setError(null);
              setDone(result);
              setStep(3);
            }}
          />
        )}
        {step === 3 && done && (
          <Result
            status="success"
            title={t('auth.firstLogin.done')}
            subTitle={t('auth.firstLogin.doneDesc', {
              username: done.username,
              phone: done.phoneLogin ? t('auth.firstLogin.donePhone') : '',
            })}
            extra={
              <Button
                type="primary"
                onClick={() => navigate(`/login?area=member&username=${encodeURIComponent(done.username)}`)}
              >
                {t('auth.firstLogin.toLogin')}
              </Button>
            }
          />
        )}
        {step < 3 && (
          <Flex justify="center" style={{ marginTop: 16 }}>
            <Link to="/login?area=member">{t('auth.backToLogin')}</Link>
          </Flex>
        )}
        {phone && step > 0 && step < 3 && (
          <Typography.Paragraph type="secondary" style={{ marginTop: 8, textAlign: 'center' }}>
            {t('auth.firstLogin.phone')}：{phone.slice(0, 3)}****{phone.slice(-4)}
          </Typography.Paragraph>
        )}
      </div>
    </AuthLayout>
  );
}

interface AccountValues {
  username: string;
  newPassword: string;
  confirmPassword: string;
  phoneLogin: boolean;
}

function AccountForm(props: {
  verified: Verified;
  memberNo: string;
  onError: (e: unknown) => void;
  onExpired: () => void;
  onDone: (result: { username: string; phoneLogin: boolean }) => void;
}) {
  const { t } = useTranslation();
  const min = passwordMinLength('member');
  return (
    <ProForm<AccountValues>
      layout="vertical"
      initialValues={{ phoneLogin: props.verified.phoneLoginAvailable }}
      submitter={{
        searchConfig: { submitText: t('auth.firstLogin.submit') },
        resetButtonProps: false,
        submitButtonProps: { size: 'large', block: true },
        render: (_, dom) => dom,
      }}
      onFinish={async (values) => {
        props.onError(null);
        try {
          const result = await api.post<{ username: string; phoneLogin: boolean }>(
            '/api/auth/member/first-login/setup',
            {
              setupToken: props.verified.setupToken,
              memberNo: props.memberNo,
              username: values.username.trim(),
              password: values.newPassword,
              phoneLogin: props.verified.phoneLoginAvailable && values.phoneLogin,
            },
          );
          props.onDone(result);
          return true;
        } catch (e) {
          props.onError(e);
          if (e && typeof e === 'object' && 'code' in e && e.code === 'MEMBER_LOGIN_CODE_EXPIRED') {
            props.onExpired();
          }
          return false;
        }
      }}
    >
      <ProFormText
        name="username"
        label={t('auth.firstLogin.username')}
        extra={t('auth.firstLogin.usernameRule')}
        fieldProps={{ autoComplete: 'username', autoFocus: true }}
        rules={[
          {
            required: true,
            pattern: /^(?=.*[a-zA-Z])[a-zA-Z0-9_.@-]{3,64}$/,
            message: t('auth.firstLogin.usernameRule'),
          },
        ]}
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
      {props.verified.phoneLoginAvailable ? (
        <ProFormCheckbox name="phoneLogin">{t('auth.firstLogin.phoneLogin')}</ProFormCheckbox>
      ) : (
        <Alert
          type="info"
          showIcon
          message={t('auth.firstLogin.phoneLoginTaken')}
          style={{ marginBottom: 16 }}
        />
      )}
    </ProForm>
  );
}
