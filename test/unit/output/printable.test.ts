import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { printable } from '../../../src/output';

/** Foreign strings on the terminal and in the journal (issue 14, item 11): the one function at the edges. */
describe('printable', () => {
  it('drops whole escape sequences: CSI, OSC (BEL or ST), two-byte ones, and C1 controls', () => {
    expect(printable('a\u001b[31mred\u001b[0m b')).toBe('ared b');
    expect(printable('x\u001b]0;owned\u0007y')).toBe('xy');
    expect(printable('x\u001b]8;;http://evil\u001b\\link\u001b]8;;\u001b\\y')).toBe('xlinky');
    expect(printable('x\u001bcy\u001b(Bz')).toBe('xyz');
    expect(printable('x\u009b31my\u0085z')).toBe('x31myz');
  });

  it('a line break, tab or carriage return of its own becomes a space: no line of its own in the journal', () => {
    expect(printable('bad\r\n<3>refreshed: fine\tok')).toBe('bad <3>refreshed: fine ok');
    expect(printable('a\u2028b\u2029c')).toBe('a b c');
  });

  it('drops other C0 controls, DEL and bidirectional overrides; keeps the rest of Unicode', () => {
    expect(printable('a\u0000b\u0007c\u007fd\u202eevil\u2066')).toBe('abcdevil');
    expect(printable('Иван Петров — ООО «Ромашка» 😀')).toBe('Иван Петров — ООО «Ромашка» 😀');
  });

  it('cuts a long value at 300 characters', () => {
    expect(printable('x'.repeat(1000))).toBe(`${'x'.repeat(300)}…`);
  });

  it('whatever it is given: no control character, no line break, no ESC left', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        expect(printable(s)).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
      }),
      { numRuns: 2000 },
    );
  });
});
