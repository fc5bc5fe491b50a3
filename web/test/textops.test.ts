import { describe, expect, it } from 'vitest';
import type { Json0Component } from 'sharedb/lib/client';
import { diffOps, transformCaret } from '../src/elements/textops';

function apply(text: string, ops: Json0Component[]): string {
  for (const c of ops) {
    const at = c.p[1] as number;
    if (c.sd !== undefined) {
      expect(text.slice(at, at + c.sd.length)).toBe(c.sd);
      text = text.slice(0, at) + text.slice(at + c.sd.length);
    }
    if (c.si !== undefined) text = text.slice(0, at) + c.si + text.slice(at);
  }
  return text;
}

describe('diffOps', () => {
  it('finds an insertion, a deletion and a replacement', () => {
    expect(diffOps('hello', 'hello!', ['text'])).toEqual([{ p: ['text', 5], si: '!' }]);
    expect(diffOps('hello', 'hllo', ['text'])).toEqual([{ p: ['text', 1], sd: 'e' }]);
    expect(diffOps('hello world', 'hello there', ['text'])).toEqual([
      { p: ['text', 6], sd: 'world' },
      { p: ['text', 6], si: 'there' },
    ]);
    expect(diffOps('same', 'same', ['text'])).toEqual([]);
  });

  it('uses the caret to place an insertion among repeated characters', () => {
    // "aaa" -> "aaaa" typed at the start: the caret is at 1.
    expect(diffOps('aaa', 'aaaa', ['text'], 1)).toEqual([{ p: ['text', 0], si: 'a' }]);
    expect(diffOps('aaa', 'aaaa', ['text'], 4)).toEqual([{ p: ['text', 3], si: 'a' }]);
  });

  it('keeps surrogate pairs whole (UTF-16 offsets)', () => {
    const prev = 'a😀b';
    const next = 'a😃b'; // same high surrogate, different low one
    const ops = diffOps(prev, next, ['text']);
    expect(ops).toEqual([
      { p: ['text', 1], sd: '😀' },
      { p: ['text', 1], si: '😃' },
    ]);
    expect(apply(prev, ops)).toBe(next);
  });

  it('round-trips random edits', () => {
    const alphabet = 'ab😀\n';
    let text = '';
    for (let i = 0; i < 500; i++) {
      const chars = [...text];
      const at = Math.floor(Math.random() * (chars.length + 1));
      const del = Math.floor(Math.random() * Math.min(3, chars.length - at + 1));
      const ins = [...Array(Math.floor(Math.random() * 3))].map(() => alphabet[Math.floor(Math.random() * alphabet.length)]).join('');
      const next = [...chars.slice(0, at), ins, ...chars.slice(at + del)].join('');
      expect(apply(text, diffOps(text, next, ['text']))).toBe(next);
      text = next;
    }
  });
});

describe('transformCaret', () => {
  it('moves with text inserted or deleted before it', () => {
    expect(transformCaret(5, [{ p: ['text', 2], si: 'xyz' }])).toBe(8);
    expect(transformCaret(5, [{ p: ['text', 7], si: 'xyz' }])).toBe(5);
    expect(transformCaret(5, [{ p: ['text', 1], sd: 'ab' }])).toBe(3);
    expect(transformCaret(5, [{ p: ['text', 4], sd: 'abcd' }])).toBe(4);
  });

  it('stays before a remote insertion at the caret, moves past its own', () => {
    expect(transformCaret(5, [{ p: ['text', 5], si: 'x' }])).toBe(5);
    expect(transformCaret(5, [{ p: ['text', 5], si: 'x' }], true)).toBe(6);
  });

  it('ignores other fields and follows text0 subtype ops', () => {
    expect(transformCaret(5, [{ p: ['title', 0], si: 'x' }])).toBe(5);
    const sub = { p: ['text'], t: 'text0', o: [{ p: 0, i: 'ab' }] } as unknown as Json0Component;
    expect(transformCaret(5, [sub])).toBe(7);
  });
});
