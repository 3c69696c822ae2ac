/** Money arrives as integer minor units (fen); rates as parts per million. */
export function yuan(minor: number | null | undefined, currency = 'CNY'): string {
  if (minor === null || minor === undefined) return '-';
  const sign = minor < 0 ? '-' : '';
  const abs = Math.abs(minor);
  const symbol = currency === 'CNY' ? '¥' : `${currency} `;
  return `${sign}${symbol}${Math.floor(abs / 100).toLocaleString('en-US')}.${String(abs % 100).padStart(2, '0')}`;
}

/** "12.34" (yuan, as typed by a person) → 1234 minor units; null when it is not a valid amount. */
export function parseYuan(text: string): number | null {
  const m = /^\s*(\d{1,12})(?:\.(\d{1,2}))?\s*$/.exec(text);
  if (!m) return null;
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
}

export function percentFromPpm(ppm: number | null | undefined): string {
  if (ppm === null || ppm === undefined) return '-';
  return `${(ppm / 10_000).toFixed(2).replace(/\.?0+$/, '')}%`;
}

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '-';
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** Minor units → "12.34" without a symbol, to fill an amount input. */
export function yuanPlain(minor: number | null | undefined): string {
  if (minor === null || minor === undefined) return '';
  const abs = Math.abs(minor);
  return `${minor < 0 ? '-' : ''}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

/** "0.38" (percent, as typed) → 3800 ppm; null when it is not a percentage with at most four decimals. */
export function ppmFromPercent(text: string | number): number | null {
  const m = /^\s*(\d{1,3})(?:\.(\d{1,4}))?\s*$/.exec(String(text));
  if (!m) return null;
  const ppm = Number(m[1]) * 10_000 + Number((m[2] ?? '').padEnd(4, '0'));
  return ppm > 1_000_000 ? null : ppm;
}

/** 3800 ppm → "0.38", to fill a percentage input. */
export function percentPlain(ppm: number | null | undefined): string {
  if (ppm === null || ppm === undefined) return '';
  return (ppm / 10_000).toFixed(4).replace(/\.?0+$/, '');
}

/** 0.9731 → "97.31%". */
export function ratio(value: number | null | undefined, digits = 2): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '-';
  return `${(value * 100).toFixed(digits)}%`;
}

export function time(iso: string | Date | null | undefined): string {
  if (!iso) return '-';
  const d = new Date(iso);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
