import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BOT_USER, byName, canUseLocalUsers, findTool, homeFor, jsonOut, localGroup, localUser, nobodyCanRunCli, requires, runAs, runCli,
  SERVICE_USER, sleep, storeGrant, TOKEN_GROUP, useHarness, type LocalUser, type RunResult,
} from '../helpers';

/**
 * Root and the service at the same moment (issue 15, scenario 4), as real as it gets without
 * systemd: root runs whoami, token, refresh and doctor in a loop, in its own shell (no
 * HH_TOKEN_GROUP), while the service user, with the unit's Group= and a /proc that hides
 * root's processes (hidepid=invisible,subset=pid), runs its timer's `refresh` on a token that
 * expires every second. The service never fails, root never fails, hh.ru never sees a refresh
 * token twice, the bot in the group reads the file at every step, and the file stays the
 * service user's, 0640 in the group.
 */
const EXPIRES_IN = 1;
/** Refreshes the service must make itself; its runs that find root's new pair come on top. */
const SERVICE_REFRESHES = 20;
const MAX_SERVICE_RUNS = 80;
const h = useHarness({ expiresIn: EXPIRES_IN });

function canHideProc(): boolean {
  if (!findTool('unshare')) return false;
  const probe = spawnSync('unshare', ['--mount', '--fork', '--', 'sh', '-c', 'mount -t proc -o hidepid=invisible,subset=pid proc /proc && grep -q hidepid=invisible /proc/self/mountinfo']);
  return probe.status === 0;
}
const usable = canUseLocalUsers && nobodyCanRunCli() && canHideProc();
const NEEDS = 'root, useradd, setpriv, unshare and a kernel with per-mount procfs options (≥ 5.8)';

let service: LocalUser;
let bot: LocalUser;
let tokenGid: number;
beforeAll(() => {
  if (!usable) return;
  tokenGid = localGroup(TOKEN_GROUP);
  service = localUser(SERVICE_USER, [TOKEN_GROUP]);
  bot = localUser(BOT_USER, [TOKEN_GROUP]);
});

const hiddenProc = () => [
  'unshare', '--mount', '--fork', '--', 'sh', '-c', 'mount -t proc -o hidepid=invisible,subset=pid proc /proc && exec "$@"', 'sh',
  ...service.wrap({ gid: tokenGid }),
];

describe('root in a loop beside the service', () => {
  it(`the service refreshes ${SERVICE_REFRESHES}+ times while root runs whoami/token/refresh/doctor: nobody fails`, { timeout: 180_000 }, async (ctx) => {
    requires(ctx, NEEDS, usable);
    chmodSync(h.dir, 0o755);
    const state = join(h.dir, 'state');
    mkdirSync(state, { recursive: true });
    chownSync(state, service.uid, tokenGid);
    chmodSync(state, 0o750);
    await storeGrant(h, h.tokenFile);
    chownSync(h.tokenFile, service.uid, tokenGid);
    chmodSync(h.tokenFile, 0o640);
    const serviceEnv = { env: h.env({ ...homeFor(service, h.dir), HH_TOKEN_GROUP: TOKEN_GROUP, HH_LOCK_TIMEOUT: '30' }), wrap: hiddenProc() };
    const rootEnv = { HH_TOKEN_GROUP: undefined, HH_LOCK_TIMEOUT: '30' };
    const granted = h.sandbox.stats().refreshed;

    let stop = false;
    const rootRuns: Array<{ args: string[]; out: RunResult }> = [];
    const rootLoop = (async () => {
      // refresh --force takes the lock on a valid token too (hh.ru then says it has not expired: nothing spent).
      const commands = [['whoami', '--json'], ['token'], ['refresh', '--force', '--json'], ['doctor', '--skip-systemd', '--skip-nginx', '--no-refresh', '--json']];
      for (let i = 0; !stop; i++) {
        const args = commands[i % commands.length]!;
        const out = args[0] === 'token'
          ? await runCli(args, { env: h.env(rootEnv), secretStdout: true })
          : await h.run(args, { env: rootEnv });
        rootRuns.push({ args, out });
      }
    })();

    const serviceRuns: RunResult[] = [];
    const botFailures: string[] = [];
    const owners = new Set<string>();
    try {
      let refreshed = 0;
      for (let i = 0; refreshed < SERVICE_REFRESHES && i < MAX_SERVICE_RUNS; i++) {
        // The timer fires as the token expires, racing root's loop for it.
        const expiresAt = Date.parse((JSON.parse(readFileSync(h.tokenFile, 'utf8')) as { expires_at: string }).expires_at);
        await sleep(Math.max(0, expiresAt - Date.now()) + 20);
        const out = await runCli(['refresh', '--json'], serviceEnv);
        serviceRuns.push(out);
        if (out.code !== 0) break;
        if (jsonOut(out).status === 'refreshed') refreshed++;
        if (runAs(bot, ['sh', '-c', 'cat "$0" >/dev/null', h.tokenFile], { groups: [tokenGid] }).status !== 0) botFailures.push(`after run ${i + 1}`);
        const st = statSync(h.tokenFile);
        owners.add(`${st.uid}:${st.gid}:${(st.mode & 0o777).toString(8)}`);
      }
    } finally {
      stop = true;
      await rootLoop;
    }

    const failed = serviceRuns.filter((r) => r.code !== 0);
    expect(failed.map((r) => `${r.code}: ${r.stderr}`), 'the service never fails').toEqual([]);
    const statuses = serviceRuns.map((r) => jsonOut(r).status as string);
    const byService = statuses.filter((s) => s === 'refreshed').length;
    expect(byService, `refreshes by the service in ${serviceRuns.length} runs`).toBeGreaterThanOrEqual(SERVICE_REFRESHES);
    // Root's failures: whoami/token/refresh must succeed; doctor's own verdict depends on checks
    // unrelated here (callback, timers), so only its token checks are held to passing.
    const rootFailures = rootRuns.filter(({ args, out }) => args[0] !== 'doctor' && out.code !== 0).map(({ args, out }) => `${args[0]} ${out.code}: ${out.stderr}`);
    expect(rootFailures).toEqual([]);
    for (const { args, out } of rootRuns.filter(({ args }) => args[0] === 'doctor')) {
      const checks = byName(jsonOut(out).checks as Array<{ name: string; status: string; message: string }>);
      expect(checks['token-file']!.status, `${args.join(' ')}: ${checks['token-file']!.message}`).toBe('pass');
      expect(checks['token-permissions']!.status, checks['token-permissions']!.message).toBe('pass');
    }
    expect(botFailures, 'the bot reads the file after every run').toEqual([]);
    expect([...owners]).toEqual([`${service.uid}:${tokenGid}:640`]);
    // Every grant was one refresh per expiry, never a refresh token sent twice (that would be exit 4 somewhere above).
    const grants = h.sandbox.stats().refreshed - granted;
    expect(grants).toBeGreaterThanOrEqual(SERVICE_REFRESHES);
    expect(readdirSync(state), 'no lock, temp file or kept pair left').toEqual(['token.json']);
    console.log(`root-and-service: ${serviceRuns.length} service runs (${byService} refreshed by the service, the rest found root's new pair), ${rootRuns.length} root runs, ${grants} refresh grants, 0 failures`);
  });
});
