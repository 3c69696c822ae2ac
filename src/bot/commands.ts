import { AppError } from '../errors.ts';
import type { BotGroupRow } from './queries.ts';
import {
  botWords,
  type ChannelLine,
  type MerchantBalance,
  type OrderLine,
  type PlatformBalance,
  type TodayFigures,
} from './words.ts';

/** Orders one /order answer lists at most. */
const ORDERS_PER_ANSWER = 3;

/** What the commands read, each through its own domain's service (wired in app/services.ts). */
export interface CommandReads {
  merchantLabel(merchantId: bigint): Promise<{ name: string; mchNo: string } | undefined>;
  merchantBalance(merchantId: bigint): Promise<MerchantBalance>;
  platformBalance(): Promise<PlatformBalance>;
  /** Today's figures of one merchant, or of the platform (null). */
  today(merchantId: bigint | null): Promise<TodayFigures>;
  /** Channel accounts' live success rates; further facts per account go into `notes`. */
  channels(): Promise<ChannelLine[]>;
  /** Orders matching any of their numbers (the consoles' number search), of one merchant or all. */
  findOrders(search: string, merchantId: bigint | null, limit: number): Promise<OrderLine[]>;
}

/**
 * The answer of a bound, enabled group to a command, in its language; null for a command the bot
 * does not know (no answer). A merchant group sees its own merchant only: its balances, its figures,
 * its orders; /channels is the operators'.
 */
export async function replyTo(
  group: BotGroupRow,
  name: string,
  args: string[],
  reads: CommandReads,
  timeZone: string,
  now = new Date(),
): Promise<string | null> {
  const words = botWords(group.language, timeZone);
  const merchantId = group.subject === 'merchant' ? group.merchant_id : null;
  switch (name) {
    case 'help':
    case 'start':
      return words.help(group.subject);
    case 'balance':
      return merchantId === null
        ? words.platformBalance(await reads.platformBalance(), now)
        : words.merchantBalance(await reads.merchantBalance(merchantId), now);
    case 'today':
      return words.today(await reads.today(merchantId));
    case 'order': {
      const number = args[0];
      if (!number) return words.orderUsage;
      let orders: OrderLine[];
      try {
        orders = await reads.findOrders(number, merchantId, ORDERS_PER_ANSWER + 1);
      } catch (error) {
        if (error instanceof AppError && error.details?.reason === 'number_too_short') {
          return words.orderTooShort(Number(error.details.minDigits));
        }
        throw error;
      }
      if (orders.length === 0) return words.orderNotFound(number);
      return words.orders(orders.slice(0, ORDERS_PER_ANSWER), orders.length > ORDERS_PER_ANSWER);
    }
    case 'channels':
      return merchantId === null ? words.channels(await reads.channels()) : null;
    default:
      return null;
  }
}
