import { ModalForm, ProFormRadio, ProFormTimePicker } from '@ant-design/pro-components';
import { App, Button, Card, Descriptions, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { api } from '../api.ts';
import { yuan } from '../shell/format.ts';
import type { MemberWithdrawSetting as Setting } from './marketplaceApi.ts';

type Mode = Setting['mode'];

/**
 * 提现设置 of a member (seed 001 §2.3): how it withdraws — by hand in its portal, automatically each
 * day at a time to its default card, or by the marketplace through the API (the member's portal then
 * neither withdraws nor changes it) — and how its last automatic withdrawal went. The store manager
 * changes it.
 */
export function MemberWithdrawSetting({
  memberNo,
  setting,
  onSaved,
}: {
  memberNo: string;
  setting: Setting;
  onSaved: () => void;
}) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const words = 'merchant:marketplace.memberDrawer.withdrawSetting';
  const last = setting.lastAutoRun;
  return (
    <Card
      size="small"
      title={t(`${words}.title`)}
      data-testid="member-withdraw-setting"
      extra={
        <ModalForm<{ mode: Mode; autoTime?: string }>
          title={t(`${words}.edit`)}
          width={440}
          modalProps={{ destroyOnHidden: true }}
          initialValues={{ mode: setting.mode, autoTime: setting.autoTime ?? undefined }}
          trigger={
            <Button size="small" data-testid="edit-member-withdraw-setting">
              {t('actions.edit')}
            </Button>
          }
          onFinish={async (values) => {
            await api.put(`/api/merchant/members/${encodeURIComponent(memberNo)}/withdraw-setting`, {
              mode: values.mode,
              ...(values.mode === 'auto' ? { autoTime: String(values.autoTime).slice(0, 5) } : {}),
            });
            message.success(t(`${words}.saved`));
            onSaved();
            return true;
          }}
        >
          <ProFormRadio.Group
            name="mode"
            label={t(`${words}.mode`)}
            options={(['manual', 'auto', 'platform'] as const).map((m) => ({
              value: m,
              label: t(`${words}.modeWord.${m}`),
            }))}
          />
          <ProFormTimePicker
            name="autoTime"
            label={t(`${words}.autoTime`)}
            fieldProps={{ format: 'HH:mm' }}
            dependencies={['mode']}
            rules={[
              ({ getFieldValue }) => ({
                required: getFieldValue('mode') === 'auto',
                message: t(`${words}.timeRequired`),
              }),
            ]}
          />
          <Typography.Text type="secondary">{t(`${words}.hint`)}</Typography.Text>
        </ModalForm>
      }
    >
      <Descriptions column={1} size="small">
        <Descriptions.Item label={t(`${words}.mode`)}>
          <span data-testid="member-withdraw-mode">{t(`${words}.modeWord.${setting.mode}`)}</span>
        </Descriptions.Item>
        {setting.mode === 'auto' && (
          <Descriptions.Item label={t(`${words}.autoTime`)}>{setting.autoTime}</Descriptions.Item>
        )}
        {last && (
          <Descriptions.Item label={t(`${words}.lastRun`)}>
            {last.outcome === 'withdrawn'
              ? t(`${words}.withdrawn`, { day: last.day, amount: yuan(last.amount) })
              : t(`${words}.skipped`, {
                  day: last.day,
                  reason: t(`${words}.reason.${last.reason}`, {
                    defaultValue: t(`errors:code.${last.reason}`, { defaultValue: last.reason ?? '' }),
                  }),
                })}
          </Descriptions.Item>
        )}
      </Descriptions>
    </Card>
  );
}
