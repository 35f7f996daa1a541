import type { Config } from '../config/config';
import { log } from '../output';
import { movedError } from '../store/moved';
import type { SlotContent } from '../store/store';
import { parseAppTokenFile, type AppTokenRecord } from '../token/app-token';
import { APP_SLOT, storeOf } from './stores';

/** The application token as the store holds it, null when there is none (`token --app`). */
export async function readStoredAppToken(config: Config): Promise<AppTokenRecord | null> {
  const store = await storeOf(config);
  return appTokenOf(store.locate(APP_SLOT), await store.read(APP_SLOT));
}

/** Parses a read of the app slot: moved is exit 3 naming the new store; a file others may read is warned about. */
export function appTokenOf(location: string, content: SlotContent | null): AppTokenRecord | null {
  if (!content) return null;
  if (content.movedTo) throw movedError(location, { movedTo: content.movedTo });
  const mode = content.file?.mode ?? 0;
  if (mode & 0o137) log.warn(`${location} has mode 0${mode.toString(8)}, which lets others read the token; run \`chmod 600 ${location}\``);
  return parseAppTokenFile(content.text, location);
}
