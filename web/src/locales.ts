// Strings of this area, zh-CN first; keys nest by screen.
export default {
  zh: {},
  en: {},
};
