import { afterEach, describe, expect, it } from 'vitest';
import { startCallbackListener, type CallbackListener } from '../../../src/login/listener';

/**
 * The login's own outcome page (`?hh_oauth=stored`, `not-stored`, `denied`, `hh-error`)
 * is for the browser that brought the callback, and only it. The address is public and
 * carries nothing that ties it to that browser, so anyone (a scanner, a second local user
 * talking to 127.0.0.1:8400 directly) could otherwise read how the operator's login went,
 * and, by fetching it first, end the login's wait so that the operator's own browser finds
 * the listener closed (nginx's 502 instead of the page).
 */
const STATE = 'b'.repeat(32);
let current: CallbackListener | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

async function finishedWith(outcome: 'stored' | 'denied'): Promise<{ l: CallbackListener; base: string; cookie: string | null }> {
  current = await startCallbackListener({ host: '127.0.0.1', port: 0, path: '/callback', state: STATE, authorizeUrl: 'https://hh.example/oauth/authorize', limits: { outcomeWaitMs: 2000 } });
  const base = `http://127.0.0.1:${current.address.port}`;
  const start = await fetch(`${base}/callback?${current.startQuery}`, { redirect: 'manual' });
  const opened = start.headers.get('set-cookie')!.split(';')[0]!;
  const pending = fetch(`${base}/callback?code=REALCODE&state=${STATE}`, { redirect: 'manual', headers: { cookie: opened } });
  await current.callback;
  await current.finish(outcome);
  const sent = await pending;
  expect([sent.status, sent.headers.get('location')]).toEqual([303, `/callback?hh_oauth=${outcome}`]);
  const cookie = sent.headers.get('set-cookie');
  return { l: current, base, cookie: cookie && cookie.split(';')[0]! };
}

const answer = async (res: Response) => ({ status: res.status, body: await res.text() });

describe("the login's outcome page is the callback browser's only", () => {
  it('a stranger asking for it learns nothing: the same answer as for an outcome the login does not have', async () => {
    const { base } = await finishedWith('stored');
    const stranger = await answer(await fetch(`${base}/callback?hh_oauth=stored`));
    expect(stranger.body).not.toContain('stored the token');
    expect(stranger).toEqual(await answer(await fetch(`${base}/callback?hh_oauth=denied`)));
    expect(stranger).toEqual(await answer(await fetch(`${base}/callback?hh_oauth=not-stored`)));
  });

  it("a stranger fetching it does not end the login's wait; the browser that brought the callback does, and sees its page", async () => {
    const { l, base, cookie } = await finishedWith('denied');
    let shown = false;
    const waiting = l.outcomeShown().then(() => (shown = true));
    await fetch(`${base}/callback?hh_oauth=denied`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(shown).toBe(false);

    expect(cookie).toMatch(/^hh_oauth=[0-9a-f]{32}$/);
    const page = await fetch(`${base}/callback?hh_oauth=denied`, { headers: { cookie: cookie! } });
    expect(page.status).toBe(403);
    expect(await page.text()).toContain('Access was refused at hh.ru');
    await waiting;
    expect(shown).toBe(true);
  });
});
