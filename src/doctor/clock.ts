import { fail, pass, type CheckResult } from './check';

/**
 * The local clock against hh.ru's. Expiry is computed here, but hh.ru decides: a
 * clock running ahead makes the timer refresh before hh.ru allows it ("token not
 * expired"), one running behind leaves the bot with a dead token until it catches up.
 */
export const MAX_SKEW_SECONDS = 60;

/**
 * Seconds the local clock is ahead of the server's (negative: behind). The Date
 * header is truncated to whole seconds, so the server's time was on average half
 * a second later than it says.
 */
export function clockSkewSeconds(serverDate: Date, receivedAt: Date): number {
  return Math.round((receivedAt.getTime() - serverDate.getTime() - 500) / 1000) || 0;
}

export function clockCheck(sample: { date: Date; receivedAt: Date }, source: string): CheckResult {
  const skew = clockSkewSeconds(sample.date, sample.receivedAt);
  const size = Math.abs(skew);
  const way = skew > 0 ? 'ahead of' : 'behind';
  const amount = size >= 120 ? `${Math.floor(size / 60)} min ${size % 60} s` : `${size} s`;
  if (size <= MAX_SKEW_SECONDS) {
    return pass('clock', `${size === 0 ? 'in step with' : `${amount} ${way}`} the Date of ${source} (allowed ±${MAX_SKEW_SECONDS} s)`);
  }
  const effect = skew > 0
    ? 'the timer will ask for a refresh before hh.ru allows it'
    : 'the token will stay dead after it expires until this clock catches up';
  return fail(
    'clock',
    'config',
    `this clock is ${amount} ${way} the Date of ${source} (allowed ±${MAX_SKEW_SECONDS} s): ${effect}`,
    'synchronise the clock: `sudo timedatectl set-ntp true` (systemd-timesyncd) or install chrony; check with `timedatectl status`',
  );
}
