import './shell/react19.ts';
import './shell/global.css';
import { App as AntApp, ConfigProvider } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn';
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { BrowserRouter, Route, Routes } from 'react-router';
import { AgentApp } from './agent/AgentApp.tsx';
import { ForgotPasswordPage } from './auth/ForgotPasswordPage.tsx';
import { LoginPage } from './auth/LoginPage.tsx';
import { MerchantApp } from './merchant/MerchantApp.tsx';
import { OperatorApp } from './operator/OperatorApp.tsx';
import { NotFound } from './shell/Results.tsx';
import { HomeRedirect, RequireArea, SessionProvider } from './shell/SessionProvider.tsx';

// Area entry points: each area renders its own ProLayout and menu under its prefix, behind its guard.
export function App() {
  const { i18n, t } = useTranslation();
  const english = i18n.language === 'en-US';

  useEffect(() => {
    dayjs.locale(english ? 'en' : 'zh-cn');
    document.documentElement.lang = english ? 'en-US' : 'zh-CN';
    document.title = t('app.name');
  }, [english, t]);

  return (
    <ConfigProvider locale={english ? enUS : zhCN} theme={{ token: { colorPrimary: '#1677ff', borderRadius: 6 } }}>
      <AntApp>
        <BrowserRouter>
          <SessionProvider>
            <Routes>
              <Route path="/login" element={<LoginPage />} />
              <Route path="/login/forgot" element={<ForgotPasswordPage />} />
              <Route
                path="/operator/*"
                element={
                  <RequireArea area="operator">
                    <OperatorApp />
                  </RequireArea>
                }
              />
              <Route
                path="/merchant/*"
                element={
                  <RequireArea area="merchant">
                    <MerchantApp />
                  </RequireArea>
                }
              />
              <Route
                path="/agent/*"
                element={
                  <RequireArea area="agent">
                    <AgentApp />
                  </RequireArea>
                }
              />
              <Route path="/" element={<HomeRedirect />} />
              <Route path="*" element={<NotFound />} />
            </Routes>
          </SessionProvider>
        </BrowserRouter>
      </AntApp>
    </ConfigProvider>
  );
}
