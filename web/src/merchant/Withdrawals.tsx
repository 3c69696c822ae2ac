import { BankOutlined, ClockCircleOutlined } from '@ant-design/icons';
import { ModalForm } from '@ant-design/pro-components';
import { Alert, App, Button, Flex, Form, Input, Switch, TimePicker, Typography } from 'antd';
import dayjs from 'dayjs';
import { useTranslation } from 'react-i18next';
import { api } from '../api.ts';
import { ErrorAlert } from '../shell/ErrorAlert.tsx';
import { errorText } from '../shell/errors.ts';
import { parseYuan, yuanPlain } from '../shell/format.ts';
import { amountProblem } from '../shell/forms.ts';
import { useApi } from '../shell/useApi.ts';
import { WithdrawalsScreen } from '../shell/withdrawals.tsx';
import { type AutoWithdrawal, type BalanceView, PORTAL_API } from './financeTypes.ts';

/**
 * 提现 (managers): the shared withdrawal screen over the merchant's available balance, with
 * auto-withdrawal beside 新建提现. A merchant the channel settles directly sees why there is nothing
 * to withdraw.
 */
export function Withdrawals() {
  const { t } = useTranslation();
  const balance = useApi<BalanceView>(`${PORTAL_API}/balance`);
  const direct = balance.data?.mode === 'direct';
  return (
    <WithdrawalsScreen
      area="merchant"
      balance={balance.data}
      balanceError={balance.error}
      onBalanceChanged={() => void balance.reload()}
      canWithdraw={!direct}
      tools={<AutoWithdrawalButton />}
      notice={
        direct && (
          <Alert
            type="info"
            showIcon
            message={t('glossary:settlementMode.direct')}
            description={t('glossary:settlementModeHint.direct')}
            style={{ marginBottom: 16 }}
          />
        )
      }
    />
  );
}

interface AutoForm {
  enabled: boolean;
  time: dayjs.Dayjs | null;
  keepBalance: string;
}

/** 自动提现: on or off, the time of day, and the balance to keep; the button says what is set. */
function AutoWithdrawalButton() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const [form] = Form.useForm<AutoForm>();
  const { data, reload, error } = useApi<AutoWithdrawal>(`${PORTAL_API}/auto-withdrawal`);
  const enabled = Form.useWatch('enabled', form);
  return (
    <ModalForm<AutoForm>
      title={t('merchant:withdrawals.auto')}
      width={460}
      form={form}
      modalProps={{ destroyOnHidden: true }}
      trigger={
        <Button icon={<ClockCircleOutlined />} data-testid="auto-withdrawal">
          {data?.enabled
            ? t('merchant:withdrawals.autoOn', { time: data.time })
            : t('merchant:withdrawals.auto')}
        </Button>
      }
      initialValues={{
        enabled: data?.enabled ?? false,
        time: data?.time ? dayjs(data.time, 'HH:mm') : dayjs('17:00', 'HH:mm'),
        keepBalance: data ? yuanPlain(data.keepBalance) : '0.00',
      }}
      onFinish={async (v) => {
        const keepBalance = v.keepBalance?.trim() ? parseYuan(v.keepBalance) : 0;
        if (keepBalance === null) return false;
        try {
          await api.put(`${PORTAL_API}/auto-withdrawal`, {
            enabled: v.enabled,
            time: (v.time ?? dayjs('17:00', 'HH:mm')).format('HH:mm'),
            keepBalance,
          });
          message.success(t('merchant:withdrawals.autoSaved'));
          await reload();
          return true;
        } catch (e) {
          message.error(errorText(e));
          return false;
        }
      }}
    >
      <ErrorAlert error={error} />
      <Typography.Paragraph type="secondary">{t('merchant:withdrawals.autoHint')}</Typography.Paragraph>
      <Form.Item name="enabled" label={t('merchant:withdrawals.autoEnabled')} valuePropName="checked">
        <Switch />
      </Form.Item>
      <Form.Item
        name="time"
        label={t('merchant:withdrawals.autoTime')}
        rules={[{ required: !!enabled, message: t('merchant:withdrawals.autoTimeRequired') }]}
      >
        <TimePicker format="HH:mm" minuteStep={5} needConfirm={false} disabled={!enabled} />
      </Form.Item>
      <Form.Item
        name="keepBalance"
        label={t('merchant:withdrawals.keepBalance')}
        extra={t('merchant:withdrawals.keepBalanceHint')}
        rules={[
          {
            validator: async (_rule, value: unknown) => {
              const problem = amountProblem(value, { allowZero: true });
              if (problem) throw new Error(problem);
            },
          },
        ]}
      >
        <Input prefix="¥" inputMode="decimal" autoComplete="off" disabled={!enabled} />
      </Form.Item>
      <Flex gap={8} align="center">
        <BankOutlined />
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          {t('merchant:withdrawals.autoCard')}
        </Typography.Text>
      </Flex>
    </ModalForm>
  );
}
