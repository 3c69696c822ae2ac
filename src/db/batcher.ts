/**
 * Application-level group commit (as TigerBeetle batches): callers submit one item each and await
 * its own result; items that arrive while a batch is being written go together into the next
 * one, so N concurrent requests cost one transaction and one commit instead of N. An idle system
 * pays no extra latency: the first item is written on the next turn of the event loop.
 */
export interface BatcherOptions {
  /** Upper bound of items in one batch (one statement's parameters stay well under PostgreSQL's 65 535). */
  maxBatch: number;
  /** Batches written at the same time (pool connections they may use). */
  maxInFlight: number;
}

/** Writes a batch; returns one result per item, in order, or an Error for an item that failed alone. */
export type BatchWriter<I, O> = (items: I[]) => Promise<(O | Error)[]>;

interface Pending<I, O> {
  item: I;
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
}

export class Batcher<I, O> {
  private queue: Pending<I, O>[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly write: BatchWriter<I, O>,
    private readonly options: BatcherOptions,
  ) {
    if (options.maxBatch < 1 || options.maxInFlight < 1) throw new Error('a batcher needs room for one item');
  }

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.pump();
        });
      }
    });
  }

  private pump(): void {
    while (this.inFlight < this.options.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.options.maxBatch);
      this.inFlight++;
      this.settle(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  /**
   * Writes a batch and answers each caller. When the whole batch fails, each item is written again
   * on its own, so one bad item (a value the database refuses) fails only its own caller.
   */
  private async settle(batch: Pending<I, O>[]): Promise<void> {
    try {
      this.answer(batch, await this.write(batch.map((p) => p.item)));
    } catch (error) {
      if (batch.length === 1) {
        batch[0]!.reject(error);
        return;
      }
      for (const pending of batch) {
        try {
          this.answer([pending], await this.write([pending.item]));
        } catch (alone) {
          pending.reject(alone);
        }
      }
    }
  }

  private answer(batch: Pending<I, O>[], results: (O | Error)[]): void {
    if (results.length !== batch.length) throw new Error('invariant: a batch writer must answer every item');
    batch.forEach((p, i) => {
      const result = results[i]!;
      if (result instanceof Error) p.reject(result);
      else p.resolve(result);
    });
  }
}
