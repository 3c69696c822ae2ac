// Strings of this area, zh-CN first; keys nest by screen.
import agentWords from '../locales/agentWords.ts';

const zh = {
  portal: '代理商中心',
  menu: {
    home: '工作台',
    agents: '下级代理',
    merchants: '商户',
    rates: '我的费率',
    commission: '佣金',
    security: '账户安全',
  },
  agentWords: agentWords.zh,
  agents: {
    title: '下级代理',
    subtitle: '您的下级代理商：开设下级代理、为它们设置费率（不低于您的费率）',
  },
  merchants: {
    title: '商户',
    subtitle: '您和下级代理商名下的商户；新建的商户须经平台审核',
  },
  rates: {
    level: '下级',
    kindAgent: '下级代理商',
    kindMerchant: '商户',
    below: '给下级的费率',
    belowHint: '您的直属下级代理商和直属商户的费率；每一项都不能低于您的费率',
  },
  commission: {
    title: '佣金',
    subtitle: '您和下级商户的交易带来的佣金：待结算、可用，以及每日明细',
  },
  home: {
    title: '工作台',
    welcome: '{{name}}，欢迎使用青云支付代理商中心',
    subtitle: '您的代理商信息、费率，以及下级代理商和商户',
    agentCard: '我的代理商',
    account: '我的账号',
    username: '登录账号',
    displayName: '姓名',
    email: '邮箱',
    totp: '两步验证',
    notSet: '未设置',
    totpTip: '建议开启两步验证：登录时除密码外还需输入手机身份验证器的动态码。',
    totpAction: '去开启',
    securityAction: '账户安全',
  },
  security: {
    title: '账户安全',
    subtitle: '修改登录密码，开启两步验证保护账号',
  },
};

const en: typeof zh = {
  portal: 'Agent portal',
  menu: {
    home: 'Home',
    agents: 'Sub-agents',
    merchants: 'Merchants',
    rates: 'My rates',
    commission: 'Commissions',
    security: 'Account security',
  },
  agentWords: agentWords.en,
  agents: {
    title: 'Sub-agents',
    subtitle: 'Your sub-agents: open them and set their rates (never below yours)',
  },
  merchants: {
    title: 'Merchants',
    subtitle: 'Merchants under you and your sub-agents; the platform reviews every new merchant',
  },
  rates: {
    level: 'Below you',
    kindAgent: 'Sub-agent',
    kindMerchant: 'Merchant',
    below: 'Rates you give',
    belowHint: 'The rates of your direct sub-agents and merchants; no part may be below yours',
  },
  commission: {
    title: 'Commissions',
    subtitle: 'Commission from your merchants’ payments: pending, available, and by day',
  },
  home: {
    title: 'Home',
    welcome: 'Welcome to the Qingyun Pay agent portal, {{name}}',
    subtitle: 'Your agent, its rates, and your sub-agents and merchants',
    agentCard: 'My agent',
    account: 'My account',
    username: 'Username',
    displayName: 'Name',
    email: 'E-mail',
    totp: 'Two-step verification',
    notSet: 'Not set',
    totpTip: 'Turn on two-step verification: sign-in then also asks for a code from an authenticator app.',
    totpAction: 'Turn on',
    securityAction: 'Account security',
  },
  security: {
    title: 'Account security',
    subtitle: 'Change your password and turn on two-step verification',
  },
};

export default { zh, en };
