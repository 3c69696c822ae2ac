import type { Db } from '../db/index.ts';
import { AppError } from '../errors.ts';
import type { LedgerService } from '../ledger/service.ts';
import { minuteOfDayIn } from '../routing/route.ts';
import { localDate } from '../stats/time.ts';
import { memberOwner } from '../withdrawals/owner.ts';
import { inWithdrawalWindow } from '../withdrawals/rules.ts';
import type { WithdrawalService } from '../withdrawals/service.ts';
import * as runs from './auto-withdrawal-queries.ts';
import { setWithdrawSetting } from './portal-queries.ts';
import type { MemberRow } from './queries.ts';

/** Members withdrawn for per run of the job at most; the rest wait for the next run (a minute). */
const BATCH = 200;

export interface AutoWithdrawalResult {
  withdrawn: string[];
  skipped: { memberNo: string; reason: string }[];
}

/** HH:MM of a local minute of the day. */
function clockOf(minute: number): string {
  return `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
}

/**
 * Automatic member withdrawals (the member's 提现设置 自动提现): once each local day, at or after the
 * member's time, the member's whole available balance (簿记账户, at most the withdrawal maximum) goes
 * to its default card through the withdrawals domain as any member withdrawal does. The
 * withdrawal's number `AUTO-<member no>-<yyyymmdd>` is unique per member, so a second run, a second
 * worker or a run after a crash finds the day's withdrawal instead of making another; each day's
 * outcome is one member_auto_withdrawal row (withdrawn, or skipped and why). A closed withdrawal
 * window waits (nothing recorded): the run after it opens withdraws.
 */
export class MemberAutoWithdrawals {
  constructor(
    private readonly db: Db,
    private readonly deps: { withdrawals: WithdrawalService; ledger: LedgerService },
    private readonly options: { timeZone: string; log?: { warn(obj: object, msg: string): void } },
  ) {}

  async run(now: Date = new Date()): Promise<AutoWithdrawalResult> {
    const day = localDate(now, this.options.timeZone);
    const minute = minuteOfDayIn(now, this.options.timeZone);
    const result: AutoWithdrawalResult = { withdrawn: [], skipped: [] };
    for (const member of await runs.dueMembers(this.db, day, clockOf(minute), BATCH)) {
      const outcome = await this.withdrawFor(member, day, minute);
      if (!outcome) continue;
      await runs.recordRun(this.db, { memberId: member.id, day, ...outcome });
      if (outcome.outcome === 'withdrawn') result.withdrawn.push(outcome.withdrawNo!);
      else result.skipped.push({ memberNo: member.member_no, reason: outcome.reason! });
    }
    return result;
  }

  /**
   * The merchant sets how a member withdraws (seed 001 §2.3: the app side may set automatic
   * withdrawal, or make the withdrawals itself through the API — 'platform', where the member can
   * neither withdraw nor change the setting in its portal). Automatic needs a time and an active
   * default card (NO_BANK_CARD).
   */
  async setByMerchant(member: MemberRow, mode: 'manual' | 'auto' | 'platform', autoTime: string | null) {
    if (mode === 'auto') {
      if (!autoTime) {
        throw new AppError('INVALID_REQUEST', 'autoTime: required for automatic withdrawal', {
          field: 'autoTime',
        });
      }
      const cards = await this.deps.withdrawals.cards.list(memberOwner(member.id));
      if (!cards.some((c) => c.is_default && c.state === 'active')) {
        throw new AppError('NO_BANK_CARD', 'the member has no active default bank card');
      }
    }
    await setWithdrawSetting(this.db, member.id, mode, mode === 'auto' ? autoTime : null);
  }

  /** A member's latest days of automatic withdrawal (the portals show the last). */
  runsOf(memberId: bigint, limit = 7) {
    return runs.runsOf(this.db, memberId, limit);
  }

  /** The day's outcome for one member, or null to try again on a later run (window closed). */
  private async withdrawFor(member: MemberRow, day: string, minute: number) {
    const { withdrawals } = this.deps;
    const owner = memberOwner(member.id);
    const mchWithdrawNo = `AUTO-${member.member_no}-${day.replaceAll('-', '')}`;
    const made = (w: { withdraw_no: string; amount: bigint }) => ({
      outcome: 'withdrawn' as const,
      reason: null,
      withdrawNo: w.withdraw_no,
      amount: w.amount,
    });
    const skip = (reason: string) => ({
      outcome: 'skipped' as const,
      reason,
      withdrawNo: null,
      amount: null,
    });
    // A run that withdrew and then stopped before recording it: the withdrawal is the day's.
    const earlier = await withdrawals.findByMchNo(owner, mchWithdrawNo);
    if (earlier) return made(earlier);
    if (member.state !== 'active') {
      return skip(member.state === 'frozen' || member.state === 'closed' ? member.state : 'not_active');
    }
    const rules = await withdrawals.rules.forOwner(owner);
    if (!inWithdrawalWindow(minute, rules.windowStart, rules.windowEnd)) return null;
    const available = await this.deps.ledger.balanceOf(withdrawals.accounts(owner).available);
    const amount = available > rules.maxAmount ? rules.maxAmount : available;
    if (amount < rules.minAmount || amount <= 0n) return skip('below_minimum');
    const cards = await withdrawals.cards.list(owner);
    if (!cards.some((c) => c.is_default && c.state === 'active')) return skip('no_card');
    try {
      const { withdrawal } = await withdrawals.create(
        owner,
        { mchWithdrawNo, amount },
        { source: 'auto', appId: null, userId: null },
      );
      return made(withdrawal);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      // Another run took the day's number first (with the balance it saw): that withdrawal stands.
      const winner = await withdrawals.findByMchNo(owner, mchWithdrawNo);
      if (winner) return made(winner);
      this.options.log?.warn(
        { memberNo: member.member_no, code: error.code },
        'automatic member withdrawal refused',
      );
      return skip(error.code);
    }
  }
}
