import { type ReactNode, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Logo } from './Logo.tsx';

/** What GET /api/site answers: the site name and logo the operators set in 系统设置. */
interface Site {
  name: string;
  logoUrl: string | null;
}

/** The name the platform has until the operators choose one (src/settings/platform.ts DEFAULT_SITE). */
const DEFAULT_SITE_NAME = '青云支付';

let loaded: Promise<Site | null> | null = null;

/** Read once per page load; a failure leaves the built-in name and mark. */
function loadSite(): Promise<Site | null> {
  loaded ??= fetch('/api/site')
    .then((r) => (r.ok ? (r.json() as Promise<Site>) : null))
    .catch(() => null);
  return loaded;
}

/**
 * The site's name and mark for the login page and every console's header: the operators' name when
 * they set one (shown as typed in both languages), else the product's name in the console's language;
 * their logo when uploaded, else the Qingyun mark.
 */
export function useSiteBrand(size: number): { title: string; logo: ReactNode } {
  const { t } = useTranslation('common');
  const [site, setSite] = useState<Site | null>(null);
  useEffect(() => {
    let live = true;
    void loadSite().then((s) => {
      if (live) setSite(s);
    });
    return () => {
      live = false;
    };
  }, []);
  const custom = site && site.name !== DEFAULT_SITE_NAME ? site.name : null;
  const title = custom ?? t('app.name');
  return {
    title,
    logo: site?.logoUrl ? (
      <img src={site.logoUrl} alt="" height={size} style={{ maxWidth: size * 4, objectFit: 'contain' }} />
    ) : (
      <Logo size={size} />
    ),
  };
}
