import { completionScript } from '../cli/completion';
import { usageError } from '../errors';
import { write } from '../output';

/** `hh-oauth completion bash|zsh`: prints the completion script (src/cli/completion.ts). */
export default async function completion(shell: string): Promise<void> {
  if (shell !== 'bash' && shell !== 'zsh') throw usageError(`completion: unknown shell "${shell}" (bash or zsh)`);
  write(1, completionScript(shell));
}
