import { z } from 'zod';
import { blank } from '../orders/routes.ts';
import { addDays } from '../stats/time.ts';
import { MEMBER_STATES, MEMBER_TYPES } from './queries.ts';

// The request shapes the members' signed API and the merchant portal share.

export const BizUserId = z
  .string()
  .regex(/^[A-Za-z0-9_\-.@]{1,64}$/, 'must be 1–64 letters, digits, _ - . @');
export const MemberNo = z.string().regex(/^M\d{1,20}$/, 'must be a member number (M and digits)');
export const Cursor = blank(z.string().regex(/^\d{1,18}$/, 'must be the nextCursor of the page before'));
export const Day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date (YYYY-MM-DD)')
  .refine((d) => addDays(d, 0) === d, { message: 'must be a date that exists' });
export const DayRange = { from: blank(Day), to: blank(Day) };

export const CreateMemberBody = z
  .object({
    bizUserId: BizUserId,
    type: z.enum(MEMBER_TYPES),
    name: z.string().trim().min(1).max(100),
    phone: z
      .string()
      .regex(/^\+?\d{6,20}$/, 'must be 6–20 digits')
      .optional(),
    idNo: z
      .string()
      .regex(/^[0-9A-Za-z]{15,18}$/, 'must be 15–18 digits or letters')
      .optional(),
    legalPersonName: z.string().trim().min(1).max(100).optional(),
  })
  .strict();

export const StateBody = z.object({ state: z.enum(['active', 'frozen', 'closed']) }).strict();

export const ListQuery = z.object({
  type: blank(z.enum(MEMBER_TYPES)),
  state: blank(z.enum(MEMBER_STATES)),
  q: blank(z.string().trim().max(64)),
  cursor: Cursor,
});
