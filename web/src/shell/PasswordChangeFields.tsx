import { ProFormText } from '@ant-design/pro-components';
import { useTranslation } from 'react-i18next';
import { confirmRule, newPasswordRules } from './forms.ts';

/**
 * Current password, new password (long enough, letters and digits, not the same) and its
 * confirmation: the fields of the forced change at first login and of the voluntary one in account
 * security. The whole rule is shown under the field before anything is typed.
 */
export function PasswordChangeFields({
  min,
  currentLabel,
  autoFocus = false,
}: {
  min: number;
  currentLabel: string;
  autoFocus?: boolean;
}) {
  const { t } = useTranslation();
  return (
    <>
      <ProFormText.Password
        name="currentPassword"
        label={currentLabel}
        fieldProps={{ autoComplete: 'current-password', autoFocus }}
        rules={[{ required: true, message: t('auth.passwordRequired') }]}
      />
      <ProFormText.Password
        name="newPassword"
        label={t('security.newPassword')}
        placeholder={t('security.passwordMin', { min })}
        extra={<span data-testid="password-rule">{t('security.passwordRule', { min })}</span>}
        fieldProps={{ autoComplete: 'new-password' }}
        validateFirst
        rules={[
          ...newPasswordRules(min),
          ({ getFieldValue }) => ({
            validator: async (_r, v) => {
              if (v && v === getFieldValue('currentPassword'))
                throw new Error(t('security.passwordSameAsOld'));
            },
          }),
        ]}
      />
      <ProFormText.Password
        name="confirmPassword"
        label={t('security.confirmPassword')}
        dependencies={['newPassword']}
        fieldProps={{ autoComplete: 'new-password' }}
        rules={[{ required: true, message: t('security.passwordMismatch') }, confirmRule('newPassword')]}
      />
    </>
  );
}
