"""Runs a command under a system call filter built the way systemd builds the unit's:
an allow-list of the --allow sets minus the --deny sets, every other call failing with
EPERM (SystemCallErrorNumber=EPERM), native architecture only, no new privileges.
The sets are expanded by systemd-analyze itself, so they match the host's systemd.

usage: seccomp-exec.py [--allow SET]... [--deny SET]... -- COMMAND [ARG]...
"""
import errno, os, re, subprocess, sys

import seccomp

def groups():
    out = subprocess.run(['systemd-analyze', 'syscall-filter'], capture_output=True, text=True, check=True).stdout
    table, current = {}, None
    for line in out.splitlines():
        m = re.match(r'^(@\S+)', line)
        if m:
            current = m.group(1)
            table[current] = []
        elif current and line.strip() and not line.strip().startswith('#'):
            table[current].append(line.split()[0])
    return table

def expand(name, table):
    if not name.startswith('@'):
        return {name}
    calls = set()
    for item in table.get(name, []):
        calls |= expand(item, table)
    return calls

def main(argv):
    split = argv.index('--')
    opts, command = argv[:split], argv[split + 1:]
    table = groups()
    allow, deny = set(), set()
    for flag, value in zip(opts[::2], opts[1::2]):
        (allow if flag == '--allow' else deny).update(expand(value, table))
    f = seccomp.SyscallFilter(defaction=seccomp.ERRNO(errno.EPERM))
    count = 0
    for call in sorted(allow - deny):
        try:
            f.add_rule(seccomp.ALLOW, call)
            count += 1
        except (RuntimeError, ValueError):
            pass  # not a system call on this architecture
    f.load()
    sys.stderr.write(f'seccomp: {count} system calls allowed\n')
    sys.stderr.flush()
    os.execv(command[0], command)

main(sys.argv[1:])
