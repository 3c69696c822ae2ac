import type { NotificationService } from '../notifications/service.ts';
import type { MemberRow } from './queries.ts';

/** Messages to members by SMS to their bound phone that other domains ask for. */
export class MemberNotices {
  constructor(
    private readonly notifications: NotificationService,
    private readonly options: {
      /** Without an SMS provider the embedded demo writes the message here (as first-login codes). */
      logsInstead?: (message: string) => void;
      log?: { warn(obj: object, msg: string): void };
    },
  ) {}

  /**
   * Asks a member to sign a split-and-commission agreement in the member portal. A member without a
   * phone finds it in the portal only.
   */
  async tellSplitAgreement(
    member: MemberRow,
    vars: { merchant: string; rule: string; commission: string },
  ): Promise<void> {
    if (!member.phone) return;
    const all = { ...vars, member: member.name, memberNo: member.member_no };
    if (await this.notifications.canSend('sms')) {
      // The rule is saved already: a phone the SMS path refuses leaves the agreement in the portal only.
      await this.notifications
        .send({
          event: 'member.split_agreement',
          recipient: { channel: 'sms', address: member.phone, locale: 'zh' },
          vars: all,
        })
        .catch((error: unknown) =>
          this.options.log?.warn(
            { err: error, memberNo: member.member_no },
            'split agreement SMS not queued',
          ),
        );
      return;
    }
    this.options.logsInstead?.(
      `split agreement to sign: member ${member.member_no} (${member.phone}), ${all.merchant} rule "${all.rule}" ${all.commission}`,
    );
  }
}
