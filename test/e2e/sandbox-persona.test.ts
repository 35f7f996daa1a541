import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, runCli, USER_AGENT } from '../helpers';

// `hh-oauth sandbox` as an operator starts it: the default persona is an employer's manager,
// --persona picks another.
const children: Array<ReturnType<typeof spawn>> = [];
afterAll(() => children.forEach((c) => c.kill('SIGTERM')));

async function serve(args: string[]): Promise<{ url: string; env: Record<string, string> }> {
  const child = spawn(process.execPath, [BIN, 'sandbox', '--port', '0', '--json', ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
  children.push(child);
  const line = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the sandbox exited ${code}`)));
    createInterface({ input: child.stdout! }).once('line', resolve);
  });
  return JSON.parse(line);
}

async function meOf(sandbox: { url: string; env: Record<string, string> }): Promise<Record<string, unknown>> {
  const page = await fetch(`${sandbox.env.HH_AUTHORIZE_URL}?response_type=code&client_id=${sandbox.env.HH_CLIENT_ID}`, { redirect: 'manual' });
  const code = new URL(page.headers.get('location') ?? '').searchParams.get('code') ?? '';
  const grant = await fetch(sandbox.env.HH_TOKEN_URL!, {
    method: 'POST',
    headers: { 'user-agent': USER_AGENT, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', client_id: sandbox.env.HH_CLIENT_ID!, client_secret: 'sandbox-client-secret', code }),
  });
  const { access_token } = (await grant.json()) as { access_token: string };
  const me = await fetch(`${sandbox.url}/me`, { headers: { 'user-agent': USER_AGENT, authorization: `Bearer ${access_token}` } });
  return (await me.json()) as Record<string, unknown>;
}

describe('hh-oauth sandbox --persona', () => {
  it.each([
    [[], 'employer'],
    [['--persona', 'employer_integration'], 'employer_integration'],
    [['--persona', 'applicant'], 'applicant'],
  ])('%j serves an %s', async (args, authType) => {
    expect((await meOf(await serve(args))).auth_type).toBe(authType);
  });

  it('refuses a persona hh.ru does not have (usage error)', async () => {
    const out = await runCli(['sandbox', '--port', '0', '--persona', 'recruiter'], { env: { PATH: process.env.PATH } });
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/employer, employer_integration, applicant/);
  });
});
