// Strings of this area, zh-CN first; keys nest by screen.
const zh = {
  portal: '代理商中心',
  menu: {
    home: '工作台',
    security: '账户安全',
  },
  home: {
    title: '工作台',
    welcome: '{{name}}，欢迎使用青云支付代理商中心',
    subtitle: '您的代理商账号已开通，可以登录并管理账户安全',
    account: '我的账号',
    username: '登录账号',
    displayName: '姓名',
    email: '邮箱',
    totp: '两步验证',
    notSet: '未设置',
    totpTip: '建议开启两步验证：登录时除密码外还需输入手机身份验证器的动态码。',
    totpAction: '去开启',
    securityAction: '账户安全',
    comingTitle: '代理商业务功能',
    comingTag: '随代理商模块上线',
    comingDesc:
      '代理商业务功能（商户与分润）将随代理商模块一同上线。届时您可以在这里管理下级商户、查看交易与佣金。上线前如需为商户开户或调整费率，请联系平台运营。',
    features: {
      merchants: '我的商户',
      merchantsDesc: '为商户报件开户、查看审核进度，管理下级代理与商户',
      volume: '交易概况',
      volumeDesc: '下级商户的订单与交易额，按日、按商户统计',
      commission: '分润与佣金',
      commissionDesc: '每笔订单的分润明细、佣金余额与提现',
      rates: '费率',
      ratesDesc: '各支付产品的代理费率与下级费率设置',
    },
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
    security: 'Account security',
  },
  home: {
    title: 'Home',
    welcome: 'Welcome to the Qingyun Pay agent portal, {{name}}',
    subtitle: 'Your agent account is open: you can sign in and manage its security',
    account: 'My account',
    username: 'Username',
    displayName: 'Name',
    email: 'E-mail',
    totp: 'Two-step verification',
    notSet: 'Not set',
    totpTip: 'Turn on two-step verification: sign-in then also asks for a code from an authenticator app.',
    totpAction: 'Turn on',
    securityAction: 'Account security',
    comingTitle: 'Agent business',
    comingTag: 'Arrives with the agents module',
    comingDesc:
      'The agent screens (merchants and commissions) arrive with the agents module. You will then manage your merchants and see their volume and your commissions here. Until then, ask the platform operators to open merchants or change rates.',
    features: {
      merchants: 'My merchants',
      merchantsDesc: 'Open merchant accounts, follow their review, manage sub-agents and merchants',
      volume: 'Volume',
      volumeDesc: 'Orders and amounts of your merchants, by day and by merchant',
      commission: 'Commissions',
      commissionDesc: 'Commission per order, balance and withdrawals',
      rates: 'Rates',
      ratesDesc: 'Your rate per payment product and the rates of your sub-agents',
    },
  },
  security: {
    title: 'Account security',
    subtitle: 'Change your password and turn on two-step verification',
  },
};

export default { zh, en };
