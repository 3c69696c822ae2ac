import { App as AntApp, ConfigProvider } from 'antd';
import enUS from 'antd/locale/en_US';
import zhCN from 'antd/locale/zh_CN';
import { useTranslation } from 'react-i18next';
import { BrowserRouter, Navigate, Route, Routes } from 'react-router';
import { AgentApp } from './agent/AgentApp.tsx';
import { MerchantApp } from './merchant/MerchantApp.tsx';
import { OperatorApp } from './operator/OperatorApp.tsx';

// Area entry points: each area renders its own ProLayout and menu under its prefix.
export function App() {
  const { i18n } = useTranslation();
  return (
    <ConfigProvider locale={i18n.language === 'en-US' ? enUS : zhCN}>
      <AntApp>
        <BrowserRouter>
          <Routes>
            <Route path="/operator/*" element={<OperatorApp />} />
            <Route path="/merchant/*" element={<MerchantApp />} />
            <Route path="/agent/*" element={<AgentApp />} />
            <Route path="*" element={<Navigate to="/operator" replace />} />
          </Routes>
        </BrowserRouter>
      </AntApp>
    </ConfigProvider>
  );
}
