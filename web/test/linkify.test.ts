import { describe, expect, it } from 'vitest';
import { linkify, safeHref } from '../src/linkify';

describe('linkify', () => {
  it('leaves plain text alone', () => {
    expect(linkify('hello there')).toEqual([{ kind: 'text', text: 'hello there' }]);
    expect(linkify('')).toEqual([]);
  });

  it('finds http and https links between text', () => {
    expect(linkify('see https://example.com/a?b=1#c and http://x.org')).toEqual([
      { kind: 'text', text: 'see ' },
      { kind: 'link', text: 'https://example.com/a?b=1#c', href: 'https://example.com/a?b=1#c' },
      { kind: 'text', text: ' and ' },
      { kind: 'link', text: 'http://x.org', href: 'http://x.org/' },
    ]);
  });

  it('turns www. into an https link', () => {
    expect(linkify('www.example.com')).toEqual([
      { kind: 'link', text: 'www.example.com', href: 'https://www.example.com/' },
    ]);
  });

  it('keeps sentence punctuation out of the link', () => {
    expect(linkify('go to https://example.com/x.')).toEqual([
      { kind: 'text', text: 'go to ' },
      { kind: 'link', text: 'https://example.com/x', href: 'https://example.com/x' },
      { kind: 'text', text: '.' },
    ]);
    expect(linkify('(https://example.com/x)')).toEqual([
      { kind: 'text', text: '(' },
      { kind: 'link', text: 'https://example.com/x', href: 'https://example.com/x' },
      { kind: 'text', text: ')' },
    ]);
  });

  it('keeps balanced parentheses inside a link', () => {
    const url = 'https://en.wikipedia.org/wiki/Tertulia_(gathering)';
    expect(linkify(`${url}!`)).toEqual([
      { kind: 'link', text: url, href: url },
      { kind: 'text', text: '!' },
    ]);
  });

  it('never links other schemes', () => {
    for (const text of [
      'javascript:alert(1)',
      'JaVaScRiPt:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'vbscript:msgbox',
      'file:///etc/passwd',
      'ftp://example.com',
    ]) {
      expect(linkify(text).every((p) => p.kind === 'text'), text).toBe(true);
    }
  });

  it('does not split markup into anything but text', () => {
    const pieces = linkify('<img src=x onerror=alert(1)> https://a.example/<b>');
    expect(pieces).toEqual([
      { kind: 'text', text: '<img src=x onerror=alert(1)> ' },
      { kind: 'link', text: 'https://a.example/', href: 'https://a.example/' },
      { kind: 'text', text: '<b>' },
    ]);
  });

  it('rejoins to the original text', () => {
    const text = 'a https://x.y/z, b www.q.r; c http://[::1]:8080/p (d) e';
    expect(linkify(text).map((p) => p.text).join('')).toBe(text);
  });

  it('refuses URLs without a host', () => {
    expect(safeHref('https://')).toBeNull();
    expect(safeHref('http://')).toBeNull();
    expect(safeHref('https://example.com')).toBe('https://example.com/');
  });
});
