import { ProCard, ProForm, ProFormDigit } from '@ant-design/pro-components';
import { App, Form, Skeleton, Typography } from 'antd';
import { type ReactNode, useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api.ts';
import { ErrorAlert } from '../../shell/ErrorAlert.tsx';
import { errorText } from '../../shell/errors.ts';
import { useApi } from '../../shell/useApi.ts';

export interface NumberSettingProps {
  /** The setting's route: GET answers `{ [field]: n }`, PUT takes the same (audited on the server). */
  path: string;
  field: string;
  icon: ReactNode;
  title: string;
  description: string;
  label: string;
  /** The bounds the server holds the setting to. */
  min: number;
  max: number;
  step: number;
  /** The sentence shown when the number is missing or out of bounds. */
  rule: string;
  saved: string;
  testId: string;
}

/** A 系统设置 card that edits one whole-number platform setting within its bounds. */
export function NumberSettingCard(props: NumberSettingProps) {
  const { t } = useTranslation('common');
  const { message } = App.useApp();
  const settings = useApi<Record<string, number>>(props.path);
  const [form] = Form.useForm<Record<string, number>>();
  useEffect(() => {
    if (settings.data) form.setFieldsValue(settings.data);
  }, [settings.data, form]);

  return (
    <ProCard
      bordered
      headerBordered
      title={
        <span>
          <span style={{ marginRight: 8 }}>{props.icon}</span>
          {props.title}
        </span>
      }
      style={{ maxWidth: 720, marginTop: 16 }}
      data-testid={props.testId}
    >
      <Typography.Paragraph type="secondary">{props.description}</Typography.Paragraph>
      <ErrorAlert error={settings.error} />
      {!settings.data && settings.loading ? (
        <Skeleton active />
      ) : (
        <ProForm<Record<string, number>>
          form={form}
          layout="vertical"
          style={{ maxWidth: 400 }}
          submitter={{ resetButtonProps: false, searchConfig: { submitText: t('actions.save') } }}
          onFinish={async (values) => {
            try {
              await api.put(props.path, { [props.field]: values[props.field] });
              message.success(props.saved);
              await settings.reload();
              return true;
            } catch (e) {
              message.error(errorText(e));
              return false;
            }
          }}
        >
          <ProFormDigit
            name={props.field}
            label={props.label}
            min={props.min}
            max={props.max}
            fieldProps={{ precision: 0, step: props.step }}
            rules={[
              { required: true, message: props.rule },
              { type: 'integer', min: props.min, max: props.max, message: props.rule },
            ]}
          />
        </ProForm>
      )}
    </ProCard>
  );
}
