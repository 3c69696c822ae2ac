import {
  ModalForm,
  ProFormDependency,
  ProFormRadio,
  ProFormText,
  ProFormTextArea,
} from '@ant-design/pro-components';
import { App, Button, Popconfirm } from 'antd';
import type { ReactElement } from 'react';
import { useTranslation } from 'react-i18next';
import { api } from '../../api.ts';
import { errorText } from '../../shell/errors.ts';
import type { Merchant } from '../types.ts';

interface MerchantEdit {
  name: string;
  shortName?: string;
  contact?: string;
}

/** 编辑商户: name, short name, contact. */
export function EditMerchantForm({
  merchant,
  trigger,
  onDone,
}: {
  merchant: Merchant;
  trigger: ReactElement;
  onDone: () => void;
}) {
  const { t } = useTranslation('operator');
  const { message } = App.useApp();
  return (
    <ModalForm<MerchantEdit>
      title={t('merchants.editTitle', { mchNo: merchant.mchNo })}
      width={560}
      trigger={trigger}
      modalProps={{ destroyOnHidden: true }}
      initialValues={{ name: merchant.name, shortName: merchant.shortName, contact: merchant.contact }}
      onFinish={async (values) => {
        try {
          await api.patch(`/api/admin/merchants/${merchant.mchNo}`, {
            name: values.name.trim(),
            shortName: values.shortName?.trim() ?? '',
            contact: values.contact?.trim() ?? '',
          });
          message.success(t('common:common.saved'));
          onDone();
          return true;
        } catch (e) {
          message.error(errorText(e));
          return false;
        }
      }}
    >
      <MerchantBasicFields />
    </ModalForm>
  );
}

export function MerchantBasicFields() {
  const { t } = useTranslation('operator');
  return (
    <>
      <ProFormText
        name="name"
        label={t('merchants.name')}
        placeholder={t('merchants.namePlaceholder')}
        rules={[{ required: true, whitespace: true, message: t('merchants.nameRequired') }, { max: 128 }]}
      />
      <ProFormText name="shortName" label={t('merchants.shortName')} rules={[{ max: 64 }]} />
      <ProFormText
        name="contact"
        label={t('merchants.contact')}
        placeholder={t('merchants.contactPlaceholder')}
        rules={[{ max: 128 }]}
      />
    </>
  );
}

/** 审核: approve or reject a pending merchant, with a remark (required to reject). */
export function ReviewMerchantForm({
  merchant,
  trigger,
  onDone,
}: {
  merchant: Merchant;
  trigger: ReactElement;
  onDone: () => void;
}) {
  const { t } = useTranslation('operator');
  const { message } = App.useApp();
  return (
    <ModalForm<{ approve: boolean; remark?: string }>
      title={t('merchants.reviewTitle', { name: merchant.name })}
      width={480}
      trigger={trigger}
      modalProps={{ destroyOnHidden: true }}
      initialValues={{ approve: true }}
      onFinish={async ({ approve, remark }) => {
        try {
          await api.post(`/api/admin/merchants/${merchant.mchNo}/review`, {
            approve,
            remark: remark?.trim() || undefined,
          });
          message.success(approve ? t('merchants.approved') : t('merchants.rejected'));
          onDone();
          return true;
        } catch (e) {
          message.error(errorText(e));
          return false;
        }
      }}
    >
      <ProFormRadio.Group
        name="approve"
        label={t('merchants.reviewResult')}
        radioType="button"
        options={[
          { label: t('merchants.approve'), value: true },
          { label: t('merchants.reject'), value: false },
        ]}
      />
      <ProFormDependency name={['approve']}>
        {({ approve }) => (
          <ProFormTextArea
            name="remark"
            label={t('merchants.reviewRemark')}
            placeholder={approve ? t('merchants.remarkOptional') : t('merchants.rejectReason')}
            rules={
              approve
                ? [{ max: 512 }]
                : [{ required: true, whitespace: true, message: t('merchants.rejectReason') }, { max: 512 }]
            }
            fieldProps={{ rows: 3, showCount: true, maxLength: 512 }}
          />
        )}
      </ProFormDependency>
    </ModalForm>
  );
}

/** 启用 / 停用 with a confirmation. */
export function MerchantStateButton({
  merchant,
  onDone,
  type = 'link',
}: {
  merchant: Merchant;
  onDone: () => void;
  type?: 'link' | 'default';
}) {
  const { t } = useTranslation('operator');
  const { message } = App.useApp();
  if (merchant.state !== 'enabled' && merchant.state !== 'disabled') return null;
  const enable = merchant.state === 'disabled';
  return (
    <Popconfirm
      title={
        enable
          ? t('merchants.enableConfirm', { name: merchant.name })
          : t('merchants.disableConfirm', { name: merchant.name })
      }
      description={enable ? undefined : t('merchants.disableHint')}
      onConfirm={async () => {
        try {
          await api.patch(`/api/admin/merchants/${merchant.mchNo}`, {
            state: enable ? 'enabled' : 'disabled',
          });
          message.success(enable ? t('merchants.enabledDone') : t('merchants.disabledDone'));
          onDone();
        } catch (e) {
          message.error(errorText(e));
        }
      }}
    >
      <Button
        type={type}
        size={type === 'link' ? 'small' : 'middle'}
        danger={!enable}
        style={type === 'link' ? { padding: 0 } : undefined}
      >
        {enable ? t('common:actions.enable') : t('common:actions.disable')}
      </Button>
    </Popconfirm>
  );
}
