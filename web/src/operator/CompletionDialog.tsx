import { CheckCircleOutlined, ExclamationCircleOutlined } from '@ant-design/icons';
import { ModalForm, ProFormText, ProFormTextArea } from '@ant-design/pro-components';
import { Alert, App, Button, type ButtonProps, Steps } from 'antd';
import { type ReactNode, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ErrorAlert } from '../shell/ErrorAlert.tsx';

/**
 * 补单 with the completion password: the order's detail and a statement's 通道有平台无 difference
 * complete an order the same way. With `verify` it takes two steps — the separate completion
 * password is checked first (the server counts guesses as for the completion itself), then the
 * remark is asked for; without it (a route that checks the password itself) both are asked at once.
 * The amount never changes.
 */
export function CompletionDialog({
  title,
  amount,
  details,
  verify,
  submit,
  onDone,
  button,
}: {
  title: string;
  /** The order's amount in words (yuan), said in the warning. */
  amount: string;
  /** What is completed: the order's merchant, amount, state … */
  details: ReactNode;
  verify?: (completionPassword: string) => Promise<unknown>;
  submit: (completionPassword: string, remark: string) => Promise<unknown>;
  onDone: () => Promise<void> | void;
  button?: ButtonProps;
}) {
  const { t } = useTranslation(['operator', 'common']);
  const { message } = App.useApp();
  const [error, setError] = useState<unknown>(null);
  const [password, setPassword] = useState<string | null>(null);
  const twoSteps = verify !== undefined;
  const askPassword = password === null;
  const askRemark = !twoSteps || password !== null;
  return (
    <ModalForm<{ completionPassword?: string; remark?: string }>
      title={title}
      width={520}
      modalProps={{
        destroyOnHidden: true,
        afterClose: () => {
          setError(null);
          setPassword(null);
        },
        okButtonProps: { danger: askRemark },
      }}
      submitter={{
        searchConfig: { submitText: askRemark ? t('complete.submit') : t('complete.verify') },
      }}
      trigger={
        <Button icon={<CheckCircleOutlined />} {...button}>
          {t('complete.button')}
        </Button>
      }
      onFinish={async (v) => {
        setError(null);
        try {
          if (verify && password === null) {
            const completionPassword = v.completionPassword ?? '';
            await verify(completionPassword);
            setPassword(completionPassword);
            return false;
          }
          await submit(password ?? v.completionPassword ?? '', (v.remark ?? '').trim());
          message.success(t('complete.done'));
          await onDone();
          return true;
        } catch (e) {
          setError(e);
          return false;
        }
      }}
    >
      <Alert
        type="warning"
        showIcon
        icon={<ExclamationCircleOutlined />}
        style={{ marginBottom: 16 }}
        message={t('complete.warningTitle', { amount })}
        description={t('complete.warning')}
      />
      {twoSteps && (
        <Steps
          size="small"
          current={askPassword ? 0 : 1}
          style={{ marginBottom: 16 }}
          items={[{ title: t('complete.stepPassword') }, { title: t('complete.stepRemark') }]}
        />
      )}
      <ErrorAlert error={error} />
      {details}
      {askPassword && (
        <ProFormText.Password
          name="completionPassword"
          label={t('complete.password')}
          extra={t('complete.passwordHint')}
          fieldProps={{ autoComplete: 'off', autoFocus: true }}
          rules={[{ required: true, message: t('complete.passwordRequired') }]}
        />
      )}
      {twoSteps && !askPassword && (
        <Alert
          type="success"
          showIcon
          style={{ marginBottom: 16 }}
          message={t('complete.verified')}
          data-testid="completion-verified"
        />
      )}
      {askRemark && (
        <ProFormTextArea
          name="remark"
          label={t('complete.remark')}
          placeholder={t('complete.remarkPlaceholder')}
          fieldProps={{ rows: 3, showCount: true, maxLength: 256, autoFocus: twoSteps }}
          rules={[{ required: true, whitespace: true, message: t('complete.remarkRequired') }]}
        />
      )}
    </ModalForm>
  );
}
