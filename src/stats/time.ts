import { z } from 'zod';

/**
 * Calendar arithmetic in the platform's time zone (config.timeZone), for statistics windows and
 * the order list's date filters. A day is a local calendar day; instants stay UTC `Date`s.
 */

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * A window bound as the consoles send it: a local date (`2025-06-01`, the platform's day) or an
 * instant with its offset (`2025-06-01T08:00:00+08:00`, `…Z`). A date as `to` includes that day.
 */
export const TimeBound = z
  .string()
  .max(40)
  .refine((s) => DATE.test(s) || (DATE_TIME.test(s) && !Number.isNaN(Date.parse(s))), {
    message: 'must be a date (YYYY-MM-DD) or a date-time with an offset (ISO 8601)',
  });

export function parseBound(text: string, timeZone: string, edge: 'from' | 'to'): Date {
  if (DATE.test(text)) return startOfLocalDay(edge === 'from' ? text : addDays(text, 1), timeZone);
  return new Date(text);
}

const formats = new Map<string, Intl.DateTimeFormat>();

function partsIn(date: Date, timeZone: string) {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    formats.set(timeZone, format);
  }
  const parts: Record<string, number> = {};
  for (const part of format.formatToParts(date)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return {
    year: parts.year!,
    month: parts.month!,
    day: parts.day!,
    hour: parts.hour!,
    minute: parts.minute!,
    second: parts.second!,
  };
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** The local calendar date of an instant: `YYYY-MM-DD`. */
export function localDate(date: Date, timeZone: string): string {
  const p = partsIn(date, timeZone);
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}`;
}

/** The local hour of an instant as the statistics label it: `YYYY-MM-DD HH:00`. */
export function localHour(date: Date, timeZone: string): string {
  const p = partsIn(date, timeZone);
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)} ${pad(p.hour)}:00`;
}

/** An instant on the zone's wall clock, as exports and statements show it: `YYYY-MM-DD HH:mm:ss`. */
export function localDateTime(date: Date, timeZone: string): string {
  const p = partsIn(date, timeZone);
  return `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)} ${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}`;
}

/** How far the zone's wall clock is ahead of UTC at an instant, in ms. */
function offsetMs(instant: number, timeZone: string): number {
  const p = partsIn(new Date(instant), timeZone);
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return wall - Math.floor(instant / 1000) * 1000;
}

/** The instant a local calendar day starts (twice corrected, so a DST change on that day is right). */
export function startOfLocalDay(ymd: string, timeZone: string): Date {
  const [y, m, d] = ymd.split('-').map(Number) as [number, number, number];
  const wall = Date.UTC(y, m - 1, d);
  const first = wall - offsetMs(wall, timeZone);
  return new Date(wall - offsetMs(first, timeZone));
}

/** A calendar date moved by whole days. */
export function addDays(ymd: string, days: number): string {
  const [y, m, d] = ymd.split('-').map(Number) as [number, number, number];
  const moved = new Date(Date.UTC(y, m - 1, d + days));
  return `${pad(moved.getUTCFullYear(), 4)}-${pad(moved.getUTCMonth() + 1)}-${pad(moved.getUTCDate())}`;
}

/** Every local date from the one holding `from` to the one holding the last instant before `to`. */
export function datesBetween(from: Date, to: Date, timeZone: string): string[] {
  const last = localDate(new Date(to.getTime() - 1), timeZone);
  const dates: string[] = [];
  for (let date = localDate(from, timeZone); date <= last; date = addDays(date, 1)) dates.push(date);
  return dates;
}

/** Every local hour label from `from` to before `to` (a DST repeat is listed once). */
export function hoursBetween(from: Date, to: Date, timeZone: string): string[] {
  const hours = new Set<string>();
  const hour = 3_600_000;
  for (let t = Math.floor(from.getTime() / hour) * hour; t < to.getTime(); t += hour) {
    hours.add(localHour(new Date(Math.max(t, from.getTime())), timeZone));
  }
  return [...hours];
}
