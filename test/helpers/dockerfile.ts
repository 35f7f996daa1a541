/**
 * The repository's Dockerfile, read the way docker reads it (comments, line continuations,
 * the JSON and shell forms), so that a test of the image's layout takes every path, user,
 * variable and command from the file itself and cannot drift from it.
 */

export interface Instruction {
  /** Upper case: FROM, RUN, COPY, ENV… */
  name: string;
  /** The rest of the line, continuations joined. */
  args: string;
  line: number;
}

export interface Stage {
  from: string;
  as?: string;
  instructions: Instruction[];
}

export interface Copy {
  from?: string;
  sources: string[];
  dest: string;
  chown?: string;
  chmod?: string;
}

export interface Image {
  stages: Stage[];
  /** The final stage: what the image holds. */
  final: Stage;
  user?: string;
  workdir?: string;
  env: Record<string, string>;
  volumes: string[];
  copies: Copy[];
  entrypoint: string[];
  cmd: string[];
  /** HEALTHCHECK's options (interval, timeout…) and its command, exec form. */
  healthcheck?: { options: Record<string, string>; cmd: string[] };
  /** The final stage's RUN commands, shell form, in order. */
  runs: string[];
  labels: Record<string, string>;
  expose: string[];
  stopSignal?: string;
}

/** The instructions of a Dockerfile, continuations joined and comments dropped. */
export function instructionsOf(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending: { name: string; parts: string[]; line: number } | undefined;
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/\r$/, '');
    // A comment line, even inside a continued instruction (docker drops those too).
    if (/^\s*#/.test(line)) return;
    if (!pending) {
      if (line.trim() === '') return;
      const m = /^\s*([A-Za-z]+)\s*(.*)$/.exec(line);
      if (!m) throw new Error(`Dockerfile:${index + 1}: not an instruction: ${line}`);
      pending = { name: m[1]!.toUpperCase(), parts: [], line: index + 1 };
      pending.parts.push(m[2]!);
    } else if (line.trim() !== '') pending.parts.push(line.trim());
    const last = pending.parts.at(-1)!;
    if (last.endsWith('\\')) {
      pending.parts[pending.parts.length - 1] = last.slice(0, -1);
      return;
    }
    out.push({ name: pending.name, args: pending.parts.map((p) => p.trim()).filter(Boolean).join(' '), line: pending.line });
    pending = undefined;
  });
  if (pending) throw new Error(`Dockerfile:${pending.line}: the last instruction ends with a continuation`);
  return out;
}

/** The exec (JSON) form; a shell form is refused where the image must not use one. */
function execForm(args: string, what: string): string[] {
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string')) throw new Error(`${what}: not a JSON array of strings: ${args}`);
  return parsed;
}

/** Leading `--name=value` flags of COPY, HEALTHCHECK, FROM… */
function flagsOf(args: string): { flags: Record<string, string>; rest: string } {
  const flags: Record<string, string> = {};
  let rest = args.trim();
  for (let m = /^--([a-z-]+)=(\S+)\s+/.exec(rest); m; m = /^--([a-z-]+)=(\S+)\s+/.exec(rest)) {
    flags[m[1]!] = m[2]!;
    rest = rest.slice(m[0].length);
  }
  return { flags, rest };
}

/** `A=1 B="two words"`: ENV and LABEL in the key=value form (the legacy `ENV A 1` is refused). */
function keyValues(args: string, what: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([A-Za-z_][\w.-]*)=(?:"((?:[^"\\]|\\.)*)"|(\S*))\s*/gy;
  let at = 0;
  const text = args.trim();
  for (let m = re.exec(text); m; m = re.exec(text)) {
    out[m[1]!] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!;
    at = re.lastIndex;
  }
  if (at !== text.length) throw new Error(`${what}: cannot read "${text.slice(at)}" (use KEY=value)`);
  return out;
}

export function parseDockerfile(text: string): Image {
  const stages: Stage[] = [];
  for (const ins of instructionsOf(text)) {
    if (ins.name === 'FROM') {
      const { rest } = flagsOf(ins.args);
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest);
      if (!m) throw new Error(`Dockerfile:${ins.line}: FROM ${ins.args}`);
      stages.push({ from: m[1]!, as: m[2], instructions: [] });
    } else if (ins.name === 'ARG' && stages.length === 0) continue;
    else if (stages.length === 0) throw new Error(`Dockerfile:${ins.line}: ${ins.name} before FROM`);
    else stages.at(-1)!.instructions.push(ins);
  }
  const final = stages.at(-1);
  if (!final) throw new Error('Dockerfile: no FROM');
  const image: Image = { stages, final, env: {}, volumes: [], copies: [], entrypoint: [], cmd: [], runs: [], labels: {}, expose: [] };
  for (const ins of final.instructions) {
    const where = `Dockerfile:${ins.line}: ${ins.name}`;
    switch (ins.name) {
      case 'USER':
        image.user = ins.args.trim();
        break;
      case 'WORKDIR':
        image.workdir = ins.args.trim();
        break;
      case 'ENV':
        Object.assign(image.env, keyValues(ins.args, where));
        break;
      case 'LABEL':
        Object.assign(image.labels, keyValues(ins.args, where));
        break;
      case 'VOLUME':
        image.volumes.push(...(ins.args.trim().startsWith('[') ? execForm(ins.args, where) : ins.args.trim().split(/\s+/)));
        break;
      case 'COPY': {
        const { flags, rest } = flagsOf(ins.args);
        const paths = rest.startsWith('[') ? execForm(rest, where) : rest.split(/\s+/);
        if (paths.length < 2) throw new Error(`${where}: needs a source and a destination`);
        image.copies.push({ from: flags.from, chown: flags.chown, chmod: flags.chmod, sources: paths.slice(0, -1), dest: paths.at(-1)! });
        break;
      }
      case 'ENTRYPOINT':
        image.entrypoint = execForm(ins.args, where);
        image.cmd = []; // docker resets CMD set before an ENTRYPOINT
        break;
      case 'CMD':
        image.cmd = execForm(ins.args, where);
        break;
      case 'HEALTHCHECK': {
        const { flags, rest } = flagsOf(ins.args);
        const m = /^CMD\s+(.*)$/s.exec(rest);
        if (!m) throw new Error(`${where}: want HEALTHCHECK [options] CMD [...]`);
        image.healthcheck = { options: flags, cmd: execForm(m[1]!, where) };
        break;
      }
      case 'RUN':
        image.runs.push(ins.args);
        break;
      case 'EXPOSE':
        image.expose.push(...ins.args.trim().split(/\s+/));
        break;
      case 'STOPSIGNAL':
        image.stopSignal = ins.args.trim();
        break;
      case 'ARG':
      case 'SHELL':
      case 'ONBUILD':
        throw new Error(`${where}: not expected in the final stage (the test reproduces only what it reads)`);
      default:
        throw new Error(`${where}: unknown to this reader`);
    }
  }
  return image;
}

/** A duration of HEALTHCHECK's options ("30s", "1m30s", "500ms") in milliseconds. */
export function durationMs(text: string): number {
  let ms = 0;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let at = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    ms += Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
    at = re.lastIndex;
  }
  if (at !== text.length || at === 0) throw new Error(`not a duration: ${text}`);
  return ms;
}
