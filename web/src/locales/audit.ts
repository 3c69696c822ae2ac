// The 'audit' namespace: see web/src/locales/README.md.
const zh = {};

const en: typeof zh = {};

export default { zh, en };
