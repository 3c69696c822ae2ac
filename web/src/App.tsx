import './shell/react19.ts';
import './shell/global.css';
import { App as AntApp, ConfigProvider, type ThemeConfig } from 'antd';
import enUS from 'antd/es/locale/en_US';
import zhCN from 'antd/es/locale/zh_CN';
import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn';
import { lazy, Suspense, useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { BrowserRouter, Route, Routes } from 'react-router';
import { AGENT_SCREENS } from './agent/screens.ts';
import { LoginPage } from './auth/LoginPage.tsx';
import { addAreaStrings } from './i18n.ts';
import { MEMBER_SCREENS } from './member/screens.ts';
import { MERCHANT_SCREENS } from './merchant/screens.ts';
import { OPERATOR_SCREENS } from './operator/screens.ts';
import { prefetchOpenedScreen } from './shell/lazyScreen.tsx';
import { FullPageSpin, HomeRedirect, RequireArea, SessionProvider } from './shell/SessionProvider.tsx';

// Each area is its own chunk, its strings with it: a merchant never downloads the operator console,
// and the login page needs none of them. Opened at an area's address, the area's code starts loading
// at once, while the session is being checked.
const loadOperator = () =>
  Promise.all([import('./operator/OperatorApp.tsx'), import('./operator/locales.ts')]).then(
    ([m, strings]) => {
      addAreaStrings('operator', strings.default);
      return { default: m.OperatorApp };
    },
  );
const loadMerchant = () =>
  Promise.all([import('./merchant/MerchantApp.tsx'), import('./merchant/locales.ts')]).then(
    ([m, strings]) => {
      addAreaStrings('merchant', strings.default);
      return { default: m.MerchantApp };
    },
  );
const loadAgent = () =>
  Promise.all([import('./agent/AgentApp.tsx'), import('./agent/locales.ts')]).then(([m, strings]) => {
    addAreaStrings('agent', strings.default);
    return { default: m.AgentApp };
  });
const loadMember = () =>
  Promise.all([import('./member/MemberApp.tsx'), import('./member/locales.ts')]).then(([m, strings]) => {
    addAreaStrings('member', strings.default);
    return { default: m.MemberApp };
  });
const AREA_LOADERS = { operator: loadOperator, merchant: loadMerchant, agent: loadAgent, member: loadMember };
const openedArea = window.location.pathname.split('/')[1] as keyof typeof AREA_LOADERS;
const early = Object.hasOwn(AREA_LOADERS, openedArea) ? AREA_LOADERS[openedArea]() : null;
if (openedArea === 'operator') prefetchOpenedScreen(OPERATOR_SCREENS);
if (openedArea === 'merchant') prefetchOpenedScreen(MERCHANT_SCREENS);
if (openedArea === 'agent') prefetchOpenedScreen(AGENT_SCREENS);
if (openedArea === 'member') prefetchOpenedScreen(MEMBER_SCREENS);
const areaApp = (area: keyof typeof AREA_LOADERS) =>
  lazy(() => (area === openedArea && early ? early : AREA_LOADERS[area]()));
const OperatorApp = areaApp('operator');
const MerchantApp = areaApp('merchant');
const AgentApp = areaApp('agent');
const MemberApp = areaApp('member');

// The member's signing page (/onboard/:token): its own chunk with its strings, no console code.
const OnboardPage = lazy(() =>
  Promise.all([import('./onboard/OnboardPage.tsx'), import('./onboard/locales.ts')]).then(([m, strings]) => {
    addAreaStrings('onboard', strings.default);
    return { default: m.OnboardPage };
  }),
);

// antd's Result and its pictures load only when a page is not found.
const NotFound = lazy(() => import('./shell/Results.tsx').then((m) => ({ default: m.NotFound })));

/**
 * antd's default look, with every text colour at WCAG AA contrast (4.5:1) on the backgrounds it is
 * used on: the primary blue (and links) one step darker, the danger red one step darker, secondary text at 60 %
 * instead of 45 % black, and tags (order and refund states among them) with their text one or two
 * palette steps darker on the same light background.
 */
const THEME: ThemeConfig = {
  token: {
    // Someone who asks the system for less motion (an accessibility setting) gets no zooming and sliding.
    motion: !window.matchMedia?.('(prefers-reduced-motion: reduce)').matches,
    colorPrimary: '#0958d9',
    colorInfo: '#0958d9',
    colorLink: '#0958d9',
    colorError: '#cf1322',
    colorSuccessText: '#237804',
    colorWarningText: '#ad4e00',
    borderRadius: 6,
    colorTextTertiary: 'rgba(0, 0, 0, 0.6)',
    colorTextDescription: 'rgba(0, 0, 0, 0.6)',
  },
  components: {
    // The unchecked switch's own words (e.g. 实时) are white on its grey track.
    Switch: { colorTextQuaternary: 'rgba(0, 0, 0, 0.55)', colorTextTertiary: 'rgba(0, 0, 0, 0.65)' },
    Tag: {
      colorSuccess: '#237804',
      colorInfo: '#0958d9',
      colorError: '#a8071a',
      colorWarning: '#ad4e00',
      red7: '#a8071a',
      volcano7: '#ad2102',
      orange7: '#ad4e00',
      gold7: '#874d00',
      yellow7: '#876800',
      lime7: '#3f6600',
      green7: '#237804',
      cyan7: '#006d75',
      magenta7: '#9e1068',
    },
  },
};

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
    <ConfigProvider locale={english ? enUS : zhCN} theme={THEME} button={{ autoInsertSpace: false }}>
      <AntApp>
        <BrowserRouter>
          <SessionProvider>
            <Suspense fallback={<FullPageSpin />}>
              <Routes>
                <Route path="/login" element={<LoginPage />} />
                <Route path="/onboard/:token" element={<OnboardPage />} />
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
                <Route
                  path="/member/*"
                  element={
                    <RequireArea area="member">
                      <MemberApp />
                    </RequireArea>
                  }
                />
                <Route path="/" element={<HomeRedirect />} />
                <Route path="*" element={<NotFound />} />
              </Routes>
            </Suspense>
          </SessionProvider>
        </BrowserRouter>
      </AntApp>
    </ConfigProvider>
  );
}
