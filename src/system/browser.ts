import { log } from '../output';

/** Opens a URL in the operator's browser, where this machine has a display (authorize-url --open, login). */
export async function openBrowser(url: string): Promise<void> {
  // `open` reports success on a headless server even though nothing opens.
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    log.info('no display here (SSH?): open the URL on any machine with a browser');
    return;
  }
  const { default: open } = await import('open');
  await open(url).catch((err: Error) => log.warn(`could not open a browser: ${err.message}`));
}
