import { result } from '../output';
import { secondsLeft } from '../token/expiry';
import type { RefreshOutcome } from './refresh';

/**
 * The answers of the two hot commands, in one place because each is printed by two
 * entry points: the hot path (src/cli/hot/) and the full command (src/commands/).
 */

/** `refresh`'s answer: the full command and the hot path (src/cli/hot/refresh.ts), which answers "not due" itself. */
export function printOutcome(outcome: RefreshOutcome): void {
  result({
    status: outcome.status,
    expires_at: outcome.expiresAt.toISOString(),
    seconds_left: Math.max(0, secondsLeft(outcome.expiresAt)),
  });
}

/** `token`'s answer: the full command and the hot path (src/cli/hot/token.ts), which prints a valid user token itself. */
export function printToken(value: string, expiresAt: Date | null, asHeader?: boolean): void {
  const header = `Authorization: Bearer ${value}`;
  result(
    {
      access_token: value,
      token_type: 'bearer',
      ...(asHeader ? { header } : {}),
      expires_at: expiresAt?.toISOString() ?? null,
      seconds_left: expiresAt ? Math.max(0, secondsLeft(expiresAt)) : null,
    },
    asHeader ? header : value,
  );
}
