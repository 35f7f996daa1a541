import { describe, expect, it } from 'vitest';
import { pages, renderPage } from '../../../src/login/pages';

describe('login pages: no script, text escaped', () => {
  it('carry no script and escape their text', () => {
    const html = renderPage({ status: 200, title: '<b>x</b>', message: '"quoted" & <script>' });
    expect(html).not.toContain('<script');
    expect(html).toContain('&#60;b&#62;x&#60;/b&#62;');
    for (const make of Object.values(pages)) expect(renderPage(make())).not.toMatch(/<script|\son\w+\s*=/i);
  });
});
