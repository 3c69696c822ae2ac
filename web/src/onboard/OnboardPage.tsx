import { UploadOutlined } from '@ant-design/icons';
import {
  Alert,
  App,
  Button,
  Checkbox,
  ConfigProvider,
  Descriptions,
  Flex,
  Form,
  Input,
  Radio,
  Result,
  Space,
  Spin,
  Steps,
  Typography,
  Upload,
} from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { api } from '../api.ts';
import { AuthLayout } from '../auth/AuthLayout.tsx';
import { ErrorAlert } from '../shell/ErrorAlert.tsx';
import { errorText } from '../shell/errors.ts';
import { dateTime } from '../shell/format.ts';

type Step = 'identity' | 'licence' | 'phone' | 'card' | 'agreement';
type MemberType = 'personal' | 'enterprise';

interface Progress {
  merchantName: string;
  appName: string;
  state: 'open' | 'completed' | 'revoked' | 'expired';
  expiresAt: string;
  preset: { type: MemberType | null; name: string | null; phoneMasked: string | null };
  done: Record<Step, boolean>;
  nextStep: Step | null;
  identity: { type: MemberType; name: string; idNoMasked: string; legalPersonName: string | null } | null;
  images: string[];
  phoneMasked: string | null;
  card: { bankName: string; last4: string } | null;
  cardSkipped: boolean;
  agreement: { version: string; text: string };
  memberNo: string | null;
}

const MAX_IMAGE_BYTES = 2 * 1024 * 1024;
const RESEND_SECONDS = 60;
const PERSON_ID = /^\s*\d{17}[\dXx]\s*$/;
const CREDIT_CODE = /^\s*[0-9A-Za-z]{18}\s*$/;

/**
 * `/onboard/:token`: the member's signing page (会员签约, seed 001 §1), opened from the merchant's
 * link or QR on a phone, with no login. The steps (identity, licence for companies, phone by SMS
 * code, optional bank card, the agreement) follow the server's progress, so reopening the link
 * lands on the first step not done; an expired, revoked or unknown link says so in words.
 */
export function OnboardPage() {
  const { t } = useTranslation();
  const { token = '' } = useParams();
  const base = `/api/onboarding/${encodeURIComponent(token)}`;
  const [progress, setProgress] = useState<Progress | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  // An upload keeps the member on the licence step (the legal person's ID may follow) until 下一步.
  const [onLicence, setOnLicence] = useState(false);

  const reload = useCallback(async () => {
    try {
      setProgress(await api.get<Progress>(base));
    } catch (e) {
      setFailure(e);
    }
  }, [base]);
  useEffect(() => {
    void reload();
  }, [reload]);

  if (failure) {
    return (
      <AuthLayout title={t('onboard:title')} width={560}>
        <Result status="warning" title={t('onboard:closed.title')} subTitle={errorText(failure)} />
      </AuthLayout>
    );
  }
  if (!progress) {
    return (
      <AuthLayout title={t('onboard:title')} width={560}>
        <Flex justify="center" style={{ padding: 48 }}>
          <Spin />
        </Flex>
      </AuthLayout>
    );
  }
  if (progress.state === 'completed') {
    return (
      <AuthLayout title={t('onboard:title')} width={560}>
        <div data-testid="onboard-done">
          <Result
            status="success"
            title={t('onboard:done.title')}
            subTitle={t('onboard:done.body', {
              merchant: progress.merchantName,
              memberNo: progress.memberNo,
            })}
            extra={<Link to="/login?view=first&area=member">{t('onboard:done.portal')}</Link>}
          />
        </div>
      </AuthLayout>
    );
  }

  const type = progress.identity?.type ?? progress.preset.type;
  const steps: Step[] = [
    'identity',
    ...(type === 'personal' ? [] : (['licence'] as Step[])),
    'phone',
    'card',
    'agreement',
  ];
  const shown: Step = onLicence && type === 'enterprise' ? 'licence' : (progress.nextStep ?? 'agreement');
  const current = Math.max(0, steps.indexOf(shown));
  const next = (answer: Progress) => setProgress(answer);
  return (
    <AuthLayout
      title={t('onboard:title')}
      width={560}
      description={
        <Space direction="vertical" size={4}>
          <span>{t('onboard:intro', { merchant: progress.merchantName })}</span>
          <Typography.Text type="secondary" data-testid="onboard-valid-until">
            {t('onboard:validUntil', { time: dateTime(progress.expiresAt) })}
          </Typography.Text>
        </Space>
      }
    >
      {/* The inline steps' titles are light grey by default: darkened to a readable contrast. */}
      <ConfigProvider theme={{ components: { Steps: { colorTextQuaternary: 'rgba(0, 0, 0, 0.6)' } } }}>
        <Steps
          // Inline steps fit five titles in a phone's width.
          type="inline"
          current={current}
          items={steps.map((s) => ({ title: t(`onboard:step.${s}`) }))}
          style={{ marginBottom: 24 }}
          data-testid="onboard-steps"
        />
      </ConfigProvider>
      {shown === 'identity' && <IdentityStep base={base} progress={progress} onDone={next} />}
      {shown === 'licence' && (
        <LicenceStep
          base={base}
          progress={progress}
          onDone={(answer) => {
            setProgress(answer);
            setOnLicence(true);
          }}
          onNext={() => setOnLicence(false)}
        />
      )}
      {shown === 'phone' && <PhoneStep base={base} progress={progress} onDone={next} />}
      {shown === 'card' && <CardStep base={base} onDone={next} />}
      {shown === 'agreement' && <AgreementStep base={base} progress={progress} onDone={next} />}
    </AuthLayout>
  );
}

interface StepProps {
  base: string;
  progress: Progress;
  onDone: (p: Progress) => void;
}

/** Runs a step's request, keeping its refusal to show in words above the form. */
function useStep(onDone: (p: Progress) => void) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const run = async (call: () => Promise<Progress>) => {
    setBusy(true);
    setError(null);
    try {
      onDone(await call());
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const alert = error ? <ErrorAlert error={error} style={{ marginBottom: 16 }} /> : null;
  return { run, busy, alert };
}

interface IdentityForm {
  type: MemberType;
  name: string;
  idNo: string;
  legalPersonName?: string;
  legalPersonIdNo?: string;
}

function IdentityStep({ base, progress, onDone }: StepProps) {
  const { t } = useTranslation();
  const [form] = Form.useForm<IdentityForm>();
  const type = Form.useWatch('type', form) ?? progress.preset.type ?? 'personal';
  const { run, busy, alert } = useStep(onDone);
  const enterprise = type === 'enterprise';
  const required = (field: string) => ({
    required: true,
    whitespace: true,
    message: t('onboard:identity.required', { field }),
  });
  const nameLabel = t(enterprise ? 'onboard:identity.companyName' : 'onboard:identity.personName');
  const idLabel = t(enterprise ? 'onboard:identity.creditCode' : 'onboard:identity.personIdNo');
  return (
    <Form<IdentityForm>
      form={form}
      layout="vertical"
      initialValues={{ type: progress.preset.type ?? 'personal', name: progress.preset.name ?? '' }}
      onFinish={(v) =>
        run(() =>
          api.post<Progress>(`${base}/identity`, {
            type: v.type,
            name: v.name.trim(),
            idNo: v.idNo.trim().toUpperCase(),
            ...(v.type === 'enterprise'
              ? {
                  legalPersonName: v.legalPersonName?.trim(),
                  legalPersonIdNo: v.legalPersonIdNo?.trim().toUpperCase(),
                }
              : {}),
          }),
        )
      }
    >
      {alert}
      <Form.Item name="type" label={t('onboard:type.label')}>
        <Radio.Group disabled={progress.preset.type !== null} optionType="button">
          <Radio value="personal">{t('onboard:type.personal')}</Radio>
          <Radio value="enterprise">{t('onboard:type.enterprise')}</Radio>
        </Radio.Group>
      </Form.Item>
      <Form.Item name="name" label={nameLabel} rules={[required(nameLabel)]}>
        <Input autoComplete="off" maxLength={100} />
      </Form.Item>
      <Form.Item
        name="idNo"
        label={idLabel}
        rules={[
          required(idLabel),
          {
            pattern: enterprise ? CREDIT_CODE : PERSON_ID,
            message: t(enterprise ? 'onboard:identity.creditCodeFormat' : 'onboard:identity.idNoFormat'),
          },
        ]}
      >
        <Input autoComplete="off" className="qy-mono" maxLength={18} />
      </Form.Item>
      {enterprise && (
        <>
          <Form.Item
            name="legalPersonName"
            label={t('onboard:identity.legalPersonName')}
            rules={[required(t('onboard:identity.legalPersonName'))]}
          >
            <Input autoComplete="off" maxLength={100} />
          </Form.Item>
          <Form.Item
            name="legalPersonIdNo"
            label={t('onboard:identity.legalPersonIdNo')}
            rules={[
              required(t('onboard:identity.legalPersonIdNo')),
              { pattern: PERSON_ID, message: t('onboard:identity.idNoFormat') },
            ]}
          >
            <Input autoComplete="off" className="qy-mono" maxLength={18} />
          </Form.Item>
        </>
      )}
      <Button type="primary" htmlType="submit" block loading={busy} data-testid="onboard-identity-submit">
        {t('onboard:identity.submit')}
      </Button>
    </Form>
  );
}

/** What a step done before shows above the next one. */
function Verified({ progress }: { progress: Progress }) {
  const { t } = useTranslation();
  if (!progress.identity) return null;
  return (
    <Alert
      type="success"
      showIcon
      style={{ marginBottom: 16 }}
      message={t('onboard:identity.verified', {
        name: progress.identity.name,
        idNo: progress.identity.idNoMasked,
      })}
    />
  );
}

function LicenceStep({ base, progress, onDone, onNext }: StepProps & { onNext: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const { run, busy, alert } = useStep(onDone);
  const upload = (kind: 'licence' | 'legal_person_id') => (file: File) => {
    if (!['image/png', 'image/jpeg'].includes(file.type)) message.error(t('onboard:licence.wrongType'));
    else if (file.size > MAX_IMAGE_BYTES) message.error(t('onboard:licence.tooLarge'));
    else
      void run(async () => {
        const content = await toBase64(file);
        return api.put<Progress>(`${base}/images/${kind}`, { content });
      });
    return Upload.LIST_IGNORE;
  };
  const uploader = (kind: 'licence' | 'legal_person_id', label: string) => {
    const done = progress.images.includes(kind);
    return (
      <Flex justify="space-between" align="center" gap={8} wrap style={{ marginBottom: 12 }}>
        <Space>
          <span>{label}</span>
          {done && <Typography.Text type="success">{t('onboard:licence.uploaded')}</Typography.Text>}
        </Space>
        <Upload accept="image/png,image/jpeg" showUploadList={false} beforeUpload={upload(kind)}>
          <Button icon={<UploadOutlined />} loading={busy} data-testid={`onboard-upload-${kind}`}>
            {t(done ? 'onboard:licence.replace' : 'onboard:licence.upload')}
          </Button>
        </Upload>
      </Flex>
    );
  };
  return (
    <div>
      <Verified progress={progress} />
      {alert}
      <Typography.Paragraph type="secondary">{t('onboard:licence.hint')}</Typography.Paragraph>
      {uploader('licence', t('onboard:licence.licence'))}
      {uploader('legal_person_id', t('onboard:licence.legalPersonId'))}
      <Button
        type="primary"
        block
        disabled={!progress.images.includes('licence') || busy}
        onClick={onNext}
        data-testid="onboard-licence-next"
      >
        {t('onboard:licence.next')}
      </Button>
    </div>
  );
}

function PhoneStep({ base, progress, onDone }: StepProps) {
  const { t } = useTranslation();
  const [form] = Form.useForm<{ phone: string; code: string }>();
  const { run, busy, alert } = useStep(onDone);
  const [sentTo, setSentTo] = useState<string | null>(null);
  const [cooldown, setCooldown] = useState(0);
  const [sendError, setSendError] = useState<unknown>(null);
  useEffect(() => {
    if (cooldown <= 0) return;
    const id = window.setTimeout(() => setCooldown((s) => s - 1), 1000);
    return () => window.clearTimeout(id);
  }, [cooldown]);
  const send = async () => {
    setSendError(null);
    try {
      const phone = (await form.validateFields(['phone'])).phone.trim();
      await api.post(`${base}/phone/code`, { phone });
      setSentTo(phone);
      setCooldown(RESEND_SECONDS);
    } catch (e) {
      if (e instanceof Error) setSendError(e);
    }
  };
  return (
    <Form
      form={form}
      layout="vertical"
      onFinish={(v) =>
        run(() => api.post<Progress>(`${base}/phone/verify`, { phone: v.phone.trim(), code: v.code.trim() }))
      }
    >
      <Verified progress={progress} />
      {alert}
      {sendError ? <ErrorAlert error={sendError} style={{ marginBottom: 16 }} /> : null}
      <Typography.Paragraph type="secondary">{t('onboard:phone.hint')}</Typography.Paragraph>
      <Form.Item
        name="phone"
        label={t('onboard:phone.phone')}
        extra={progress.preset.phoneMasked ?? undefined}
        rules={[{ required: true, pattern: /^\s*1\d{10}\s*$/, message: t('onboard:phone.phoneFormat') }]}
      >
        <Input autoComplete="tel" inputMode="tel" maxLength={11} />
      </Form.Item>
      <Form.Item
        label={t('onboard:phone.code')}
        extra={sentTo ? t('onboard:phone.sent', { phone: sentTo }) : undefined}
        required
      >
        <Flex gap={8}>
          <Form.Item
            name="code"
            noStyle
            rules={[{ required: true, message: t('onboard:phone.codeRequired') }]}
          >
            <Input
              autoComplete="one-time-code"
              inputMode="numeric"
              maxLength={6}
              aria-label={t('onboard:phone.code')}
            />
          </Form.Item>
          <Button onClick={send} disabled={cooldown > 0} data-testid="onboard-send-code">
            {cooldown > 0 ? t('onboard:phone.resend', { seconds: cooldown }) : t('onboard:phone.send')}
          </Button>
        </Flex>
      </Form.Item>
      <Button
        type="primary"
        htmlType="submit"
        block
        loading={busy}
        disabled={!sentTo}
        data-testid="onboard-phone-submit"
      >
        {t('onboard:phone.submit')}
      </Button>
    </Form>
  );
}

function CardStep({ base, onDone }: Omit<StepProps, 'progress'>) {
  const { t } = useTranslation();
  const { run, busy, alert } = useStep(onDone);
  return (
    <Form<{ accountNo: string; bankName: string }>
      layout="vertical"
      onFinish={(v) =>
        run(() =>
          api.post<Progress>(`${base}/card`, {
            accountNo: v.accountNo.replace(/\s+/g, ''),
            bankName: v.bankName.trim(),
          }),
        )
      }
    >
      {alert}
      <Typography.Paragraph type="secondary">{t('onboard:card.hint')}</Typography.Paragraph>
      <Form.Item
        name="accountNo"
        label={t('onboard:card.accountNo')}
        rules={[{ required: true, pattern: /^[\d\s]{12,40}$/, message: t('onboard:card.accountNoFormat') }]}
      >
        <Input autoComplete="off" inputMode="numeric" className="qy-mono" maxLength={40} />
      </Form.Item>
      <Form.Item
        name="bankName"
        label={t('onboard:card.bankName')}
        rules={[{ required: true, whitespace: true, message: t('onboard:card.bankNameRequired') }]}
      >
        <Input autoComplete="off" maxLength={64} />
      </Form.Item>
      <Flex gap={8}>
        <Button
          block
          onClick={() => run(() => api.post<Progress>(`${base}/card/skip`))}
          disabled={busy}
          data-testid="onboard-card-skip"
        >
          {t('onboard:card.skip')}
        </Button>
        <Button type="primary" htmlType="submit" block loading={busy} data-testid="onboard-card-submit">
          {t('onboard:card.submit')}
        </Button>
      </Flex>
    </Form>
  );
}

function AgreementStep({ base, progress, onDone }: StepProps) {
  const { t } = useTranslation();
  const { run, busy, alert } = useStep(onDone);
  const [agreed, setAgreed] = useState(false);
  const [asked, setAsked] = useState(false);
  return (
    <div>
      {alert}
      <Descriptions
        size="small"
        column={1}
        bordered
        title={t('onboard:agreement.summary')}
        style={{ marginBottom: 16 }}
        items={[
          { key: 'name', label: t('onboard:agreement.name'), children: progress.identity?.name ?? '-' },
          { key: 'phone', label: t('onboard:agreement.phone'), children: progress.phoneMasked ?? '-' },
          {
            key: 'card',
            label: t('onboard:agreement.card'),
            children: progress.card
              ? t('onboard:card.bound', { bank: progress.card.bankName, last4: progress.card.last4 })
              : t('onboard:agreement.noCard'),
          },
        ]}
      />
      <Typography.Title level={2} style={{ fontSize: 16 }}>
        {t('onboard:agreement.title', { version: progress.agreement.version })}
      </Typography.Title>
      {/* The agreement's own text, in the language it is signed in. */}
      <pre
        lang="zh-CN"
        style={{
          whiteSpace: 'pre-wrap',
          background: '#fafafa',
          border: '1px solid #f0f0f0',
          padding: 12,
          fontFamily: 'inherit',
          fontSize: 13,
        }}
        data-testid="onboard-agreement-text"
      >
        {progress.agreement.text}
      </pre>
      <Checkbox checked={agreed} onChange={(e) => setAgreed(e.target.checked)} data-testid="onboard-agree">
        {t('onboard:agreement.agree')}
      </Checkbox>
      {asked && !agreed && (
        <Typography.Paragraph type="danger" style={{ marginTop: 4 }}>
          {t('onboard:agreement.agreeRequired')}
        </Typography.Paragraph>
      )}
      <Button
        type="primary"
        block
        style={{ marginTop: 16 }}
        loading={busy}
        data-testid="onboard-sign"
        onClick={() => {
          setAsked(true);
          if (agreed) void run(() => api.post<Progress>(`${base}/sign`, { agree: true }));
        }}
      >
        {t('onboard:agreement.sign')}
      </Button>
    </div>
  );
}

function toBase64(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ''));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}
