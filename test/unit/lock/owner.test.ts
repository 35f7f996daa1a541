import { describe, expect, it } from 'vitest';
import { elsewhere, judgeOwner, parseOwner, type Owner } from '../../../src/lock/owner';

/**
 * When may a lock be broken? Only when its owner is provably gone, and a pid proves
 * something only inside the PID namespace and the boot it was recorded in.
 */
const HOST_NS = 'pid:[4026531836]';
const BOOT = 'f45856c9-82c2-4e09-b9c3-df4984246980';
const me: Owner = { pid: 4242, start: '900', host: 'vm', ns: HOST_NS, boot: BOOT };

/** A liveness probe that records what it was asked: the judgement must not look a pid up where it means nothing. */
function probe(answer: boolean) {
  const asked: number[] = [];
  return { asked, alive: (pid: number) => (asked.push(pid), answer) };
}

describe('judging a lock owner', () => {
  it('same host, namespace and boot: judged by its pid', () => {
    const dead = probe(false);
    expect(judgeOwner({ pid: 7, start: '5', host: 'vm', ns: HOST_NS, boot: BOOT }, me, dead.alive)).toEqual({ stale: true, why: 'pid 7 is no longer running' });
    expect(dead.asked).toEqual([7]);
    expect(judgeOwner({ pid: 7, start: '5', host: 'vm', ns: HOST_NS, boot: BOOT }, me, probe(true).alive)).toEqual({ stale: false });
  });

  it('another PID namespace on the same host (a container with host networking) is never broken by pid', () => {
    const dead = probe(false);
    const container: Owner = { pid: 1, start: '1390299', host: 'vm', ns: 'pid:[4026532178]', boot: BOOT };
    expect(judgeOwner(container, me, dead.alive)).toEqual({ stale: false });
    // ...in both directions.
    expect(judgeOwner({ ...me, pid: 20849 }, { ...container, pid: 3 }, dead.alive)).toEqual({ stale: false });
    expect(dead.asked).toEqual([]);
  });

  it('another PID namespace: gone when the lock is from an earlier boot, or when no process is left in that namespace', () => {
    const dead = probe(false);
    const container: Owner = { pid: 1, start: '1390299', host: 'vm', ns: 'pid:[4026532178]', boot: BOOT };
    expect(judgeOwner({ ...container, boot: 'an-earlier-boot' }, me, dead.alive)).toEqual({ stale: true, why: 'pid 1 ran before this machine last booted' });
    const asked: string[] = [];
    const gone = (ns: string) => (asked.push(ns), true);
    expect(judgeOwner(container, me, dead.alive, gone)).toEqual({ stale: true, why: 'no process is left in its PID namespace pid:[4026532178]' });
    expect(asked).toEqual(['pid:[4026532178]']);
    expect(judgeOwner(container, me, dead.alive, () => false)).toEqual({ stale: false });
    expect(dead.asked).toEqual([]);
  });

  it('same host and namespace but another boot: gone, even if its pid is alive now', () => {
    const alive = probe(true);
    expect(judgeOwner({ pid: 7, host: 'vm', ns: HOST_NS, boot: 'an-earlier-boot' }, me, alive.alive)).toEqual({
      stale: true,
      why: 'pid 7 ran before this machine last booted',
    });
    expect(alive.asked).toEqual([]);
  });

  it('another host is never judged from here', () => {
    const dead = probe(false);
    expect(judgeOwner({ pid: 7, host: 'other', ns: HOST_NS, boot: BOOT }, me, dead.alive)).toEqual({ stale: false });
    expect(judgeOwner({ pid: 7, host: 'other' }, me, dead.alive)).toEqual({ stale: false });
    expect(dead.asked).toEqual([]);
  });

  it('a lock written before namespaces were recorded is judged by pid, as before', () => {
    const dead = probe(false);
    expect(judgeOwner({ pid: 7, start: '5', host: 'vm' }, me, dead.alive)).toEqual({ stale: true, why: 'pid 7 is no longer running' });
    expect(judgeOwner({ pid: 7, start: '5', host: 'vm' }, me, probe(true).alive)).toEqual({ stale: false });
    expect(dead.asked).toEqual([7]);
  });

  it('an owner namespace we cannot compare is left alone', () => {
    const dead = probe(false);
    const { ns: _ns, ...noNs } = me;
    // We cannot read our namespace: the owner's pid may mean nothing here.
    expect(judgeOwner({ pid: 7, host: 'vm', ns: HOST_NS, boot: BOOT }, noNs, dead.alive)).toEqual({ stale: false });
    expect(dead.asked).toEqual([]);
  });

  it('an unknown boot id (hidden by the unit\'s ProcSubset=pid) leaves the judgement to the pid', () => {
    const { boot: _boot, ...noBoot } = me;
    const service: Owner = { pid: 7, start: '5', host: 'vm', ns: HOST_NS };
    // The service's lock seen by an operator's run, and the other way round.
    expect(judgeOwner(service, me, probe(false).alive)).toEqual({ stale: true, why: 'pid 7 is no longer running' });
    expect(judgeOwner({ ...service, boot: BOOT }, noBoot, probe(false).alive)).toEqual({ stale: true, why: 'pid 7 is no longer running' });
    expect(judgeOwner(service, me, probe(true).alive)).toEqual({ stale: false });
    expect(judgeOwner({ ...service, boot: 'an-earlier-boot' }, noBoot, probe(true).alive)).toEqual({ stale: false });
  });

  it('names the other namespace for the timeout message, only when that is why', () => {
    expect(elsewhere({ pid: 1, host: 'vm', ns: 'pid:[4026532178]' }, me)).toBe(' in another PID namespace (pid:[4026532178])');
    expect(elsewhere({ pid: 1, host: 'vm', ns: HOST_NS }, me)).toBe('');
    expect(elsewhere({ pid: 1, host: 'vm' }, me)).toBe('');
    expect(elsewhere({ pid: 1, host: 'other', ns: 'pid:[4026532178]' }, me)).toBe('');
  });
});

describe('reading an owner record', () => {
  it('reads what the lock writes, old records too', () => {
    expect(parseOwner(JSON.stringify(me))).toEqual(me);
    expect(parseOwner('{"pid":7,"start":"5","host":"vm"}')).toEqual({ pid: 7, start: '5', host: 'vm' });
  });
  it('rejects anything else (the lock then counts as unreadable)', () => {
    for (const raw of ['', '{', 'null', '[]', '{"pid":"7","host":"vm"}', '{"pid":7}', '{"pid":7,"host":"vm","ns":4026531836}', '{"pid":7,"host":"vm","boot":false}']) {
      expect(parseOwner(raw), raw).toBeUndefined();
    }
  });
});
