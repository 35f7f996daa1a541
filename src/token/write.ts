import { holdSignals, type SignalHold } from './signal-guard';
import { quarantine, type Quarantined } from './quarantine';
import { Reservation } from './reservation';
import { withTokenLock } from './token-lock';

/**
 * The token write protocol, the one way a grant's answer gets into a file. The file holds
 * the only copy of a single-use refresh token, so every write goes:
 *
 *   lock → settle a kept pair and debris → (the caller re-reads and decides)
 *        → set aside a damaged file → claim space (temp file, reserve, fsync)
 *        → hold signals → spend (the grant) → commit (write, fsync, rename, dir fsync)
 *        → release the lock → raise held signals
 *
 * TokenWrite.run takes the lock and hands the caller a TokenWrite; the caller re-reads
 * the file under the lock, may set it aside (setAside), and calls spend() with the grant,
 * which the protocol alone calls: only after the space is claimed and the signals held.
 * Once run returns or throws, an unspent claim is given back, an aside that was not needed
 * is dropped, the lock is released, and only then a signal held meanwhile is raised.
 */
export class TokenWrite {
  private step: 'open' | 'spending' | 'spent' | 'closed' = 'open';
  /** Set once hh.ru has answered: from then on nothing may be undone (the old token is spent). */
  private answered = false;
  private aside: Quarantined | undefined;
  private reservation: Reservation | undefined;
  private hold: SignalHold | undefined;
  private spending: Promise<unknown> | undefined;

  private constructor(readonly path: string) {}

  /** The protocol's entry point: body runs under the lock, with a TokenWrite for path. */
  static async run<T>(path: string, lockTimeoutSeconds: number, body: (write: TokenWrite) => Promise<T>): Promise<T> {
    const write = new TokenWrite(path);
    try {
      return await withTokenLock(path, lockTimeoutSeconds, async () => {
        try {
          return await body(write);
        } finally {
          await write.settle();
        }
      });
    } finally {
      // After the lock is released: a stop then leaves no lock behind.
      write.hold?.release();
    }
  }

  /**
   * The protocol up to the claim, then let go: shows a store problem (full disk, sticky
   * directory, mount point, unknown HH_TOKEN_GROUP) before anything is asked of anyone.
   */
  static async rehearse(path: string, lockTimeoutSeconds: number): Promise<void> {
    await TokenWrite.run(path, lockTimeoutSeconds, async (write) => {
      write.enter('open', 'closed');
      await (await Reservation.reserve(path)).release();
    });
  }

  /**
   * Keeps the damaged file's content under a second name before the grant that replaces
   * it is spent: once hh.ru has answered, only the rename is left. Said aloud once the new
   * content is in place; dropped if the grant was never answered.
   */
  async setAside(): Promise<void> {
    if (this.aside) throw new Error('token write: already set aside');
    this.enter('open', 'open');
    this.aside = await quarantine(this.path);
  }

  /**
   * Claims the space, holds the signals, calls grant (the call that spends the refresh
   * token, the code or the application's quota), and commits content(answer). Between
   * the answer and the write only synchronous code runs: content must not throw.
   * Returns what was written.
   */
  async spend<A>(grant: () => Promise<A>, content: (answer: A) => Record<string, unknown>): Promise<Record<string, unknown>> {
    this.enter('open', 'spending');
    const spending = this.spendOnce(grant, content);
    this.spending = spending.catch(() => undefined);
    return spending;
  }

  private async spendOnce<A>(grant: () => Promise<A>, content: (answer: A) => Record<string, unknown>): Promise<Record<string, unknown>> {
    const reservation = (this.reservation = await Reservation.reserve(this.path));
    // Held from before the grant is sent until run() has released the lock.
    this.hold = holdSignals();
    const answer = await grant();
    this.answered = true;
    const data = content(answer);
    await reservation.commit(data);
    this.step = 'spent';
    this.aside?.announce();
    return data;
  }

  /** Under the lock, once the caller is done: nothing in flight, nothing unspent left behind. */
  private async settle(): Promise<void> {
    // A caller that did not wait for its grant must not get the lock released under it.
    await this.spending;
    this.step = 'closed';
    // A no-op unless the space is still claimed and unused: a kept pair stays.
    await this.reservation?.release();
    if (!this.answered) await this.aside?.cancel();
  }

  private enter(from: TokenWrite['step'], to: TokenWrite['step']): void {
    if (this.step !== from) throw new Error(`token write: cannot go from ${this.step} to ${to}`);
    this.step = to;
  }
}
