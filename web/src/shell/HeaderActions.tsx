import { LogoutOutlined, SafetyOutlined, UserOutlined } from '@ant-design/icons';
import { Avatar, Button, Descriptions, Drawer, Dropdown, Modal, Space, Tag, Typography } from 'antd';
import { type ReactNode, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { AccountSecurity } from './AccountSecurity.tsx';
import { LanguageSwitch } from './LanguageSwitch.tsx';
import { useSession } from './session.tsx';

export { LanguageSwitch };

export interface UserMenuProps {
  /** Opens the person's profile somewhere else (a route) instead of the built-in dialog. */
  onProfile?: () => void;
  /** Opens the security settings somewhere else (a route) instead of the built-in drawer. */
  onSecurity?: () => void;
  /** Extra content under the name in the profile dialog (e.g. the merchant's number). */
  profileExtra?: ReactNode;
}

/** Avatar and name with 个人设置 / 安全设置 / 退出登录. Works in every area (reads SessionContext). */
export function UserMenu({ onProfile, onSecurity, profileExtra }: UserMenuProps) {
  const { t } = useTranslation();
  const { session, logout } = useSession();
  const [profileOpen, setProfileOpen] = useState(false);
  const [securityOpen, setSecurityOpen] = useState(false);
  if (!session) return null;
  const { user } = session;
  const name = user.displayName || user.username;

  return (
    <>
      <Dropdown
        menu={{
          items: [
            { key: 'profile', icon: <UserOutlined />, label: t('header.profile') },
            { key: 'security', icon: <SafetyOutlined />, label: t('header.security') },
            { type: 'divider' },
            { key: 'logout', icon: <LogoutOutlined />, label: t('header.logout'), danger: true },
          ],
          onClick: ({ key }) => {
            if (key === 'profile') (onProfile ?? (() => setProfileOpen(true)))();
            else if (key === 'security') (onSecurity ?? (() => setSecurityOpen(true)))();
            else if (key === 'logout') void logout();
          },
        }}
      >
        <Button type="text" style={{ height: 40, paddingInline: 8 }} data-testid="user-menu">
          <Space size={8}>
            <Avatar size="small" style={{ backgroundColor: '#0958d9' }} aria-hidden>
              {name.slice(0, 1).toUpperCase()}
            </Avatar>
            {/* On a phone only the avatar shows (the name would push the header past the screen's edge);
                the name stays in the button, visually hidden, as its accessible name. */}
            <span className="qy-user-name">{name}</span>
          </Space>
        </Button>
      </Dropdown>
      <Modal
        open={profileOpen}
        title={t('profile.title')}
        footer={null}
        onCancel={() => setProfileOpen(false)}
        destroyOnHidden
      >
        <Descriptions column={1} size="small" bordered style={{ marginTop: 16 }}>
          <Descriptions.Item label={t('profile.username')}>{user.username}</Descriptions.Item>
          <Descriptions.Item label={t('profile.displayName')}>{user.displayName || '-'}</Descriptions.Item>
          <Descriptions.Item label={t('profile.email')}>{user.email || '-'}</Descriptions.Item>
          <Descriptions.Item label={t('profile.area')}>{t(`areas.${user.area}`)}</Descriptions.Item>
          {user.role && <Descriptions.Item label={t('profile.role')}>{user.role.name}</Descriptions.Item>}
          {user.merchant && (
            <Descriptions.Item label={t('profile.merchant')}>
              {user.merchant.name} <Typography.Text type="secondary">({user.merchant.mchNo})</Typography.Text>
            </Descriptions.Item>
          )}
          {user.merchantRole && (
            <Descriptions.Item label={t('profile.merchantRole')}>
              {t(`profile.${user.merchantRole}`)}
            </Descriptions.Item>
          )}
          <Descriptions.Item label={t('profile.totp')}>
            {user.totpEnabled ? (
              <Tag color="success">{t('security.totpOn')}</Tag>
            ) : (
              <Tag>{t('security.totpOff')}</Tag>
            )}
          </Descriptions.Item>
          <Descriptions.Item label={t('profile.language')}>
            <LanguageSwitch />
          </Descriptions.Item>
        </Descriptions>
        {profileExtra}
      </Modal>
      <Drawer
        open={securityOpen}
        title={t('security.title')}
        width={560}
        onClose={() => setSecurityOpen(false)}
        destroyOnHidden
      >
        <AccountSecurity />
      </Drawer>
    </>
  );
}

export interface HeaderActionsProps extends UserMenuProps {
  /** Rendered before the language switch (e.g. a help link). */
  extra?: ReactNode;
}

/**
 * The right side of every console header: language switch and user menu. In ProLayout:
 * `actionsRender={() => [<HeaderActions key="actions" />]}`.
 */
export function HeaderActions({ extra, ...userMenu }: HeaderActionsProps) {
  return (
    <Space size={4} align="center">
      {extra}
      <LanguageSwitch />
      <UserMenu {...userMenu} />
    </Space>
  );
}
