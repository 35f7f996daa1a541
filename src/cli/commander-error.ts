import type { CommanderError } from 'commander';
import { usageError, type HhOauthError } from '../errors';

const USAGE_HINT = 'run `hh-oauth --help` for usage';

/**
 * Commander's error (a failing one: exit code not 0) as one `error:` line and one `hint:`
 * line: its "(Did you mean …?)" second line becomes the hint. The help commander shows for
 * a group or program run without a command ends in "(outputHelp)": that is only "no command
 * given", the help being printed already. Used by the entry (entry.ts) and by the parse
 * recorder of the CLI fixtures, so that the two report alike.
 */
export function fromCommander(err: CommanderError): HhOauthError {
  if (err.code === 'commander.help') return usageError('no command given', USAGE_HINT);
  const [message, ...rest] = err.message.replace(/^error: /, '').split('\n');
  const guess = /^\(Did you mean (.+)\?\)$/.exec(rest.join(' ').trim())?.[1];
  return usageError(message!, guess === undefined ? USAGE_HINT : `did you mean ${guess}? (\`hh-oauth --help\` for usage)`);
}
