import { describe, expect, it } from 'vitest';
import { inspectManaged, renderTemplate, withHeader } from '../../../src/install/templates';

describe('templates: values, line lists and if/else filled in; guards that refuse what validation missed; the header checksum', () => {
  it('fills inline values, line lists and if/else blocks', () => {
    const t = 'A={{a}}\n  {{list}}\n{{#if flag}}\nyes\n{{else}}\nno\n{{/if}}\nend';
    expect(renderTemplate(t, { a: '1', list: ['x=1', 'y=2'], flag: 'on' }, 'systemd')).toBe('A=1\n  x=1\n  y=2\nyes\nend');
    expect(renderTemplate(t, { a: '1', list: [], flag: undefined }, 'systemd')).toBe('A=1\nno\nend');
  });

  it('the guards refuse what validation should have stopped (a bug, exit 1)', () => {
    expect(() => renderTemplate('User={{u}}', { u: 'x\nExecStartPre=/bin/sh' }, 'systemd')).toThrow(/control character/);
    expect(() => renderTemplate('User={{u}}', { u: 'x\\' }, 'systemd')).toThrow(/backslash/);
    expect(() => renderTemplate('D={{u}}', { u: '50%' }, 'systemd')).toThrow(/unescaped %/);
    expect(() => renderTemplate('server_name {{s}};', { s: 'a; include x' }, 'nginx')).toThrow(/nginx token/);
    expect(() => renderTemplate('x {{missing}}', {}, 'nginx')).toThrow(/no single value/);
    expect(() => renderTemplate('{{#if a}}\nx', { a: 'y' }, 'nginx')).toThrow(/without \{\{\/if\}\}/);
  });

  it('the header checksum tells untouched, edited and foreign files apart', () => {
    const file = withHeader('[Unit]\nDescription=x\n');
    expect(inspectManaged(file)).toBe('pristine');
    expect(inspectManaged(file.replace('Description=x', 'Description=y'))).toBe('modified');
    expect(inspectManaged('[Unit]\nDescription=x\n')).toBe('foreign');
  });
});
