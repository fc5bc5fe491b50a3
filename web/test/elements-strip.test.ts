import { describe, expect, it } from 'vitest';
// @ts-expect-error ot-json0 ships no types; the tests only apply and transform with it.
import { type as json0 } from 'ot-json0';
import { cleanTitle, dropIndex } from '../src/elements/store';

const moved = (list: string[], from: number, to: number) => json0.apply([...list], [{ p: [from], lm: to }]);

describe('the element strip', () => {
  it('drops a dragged chip where the indicator showed it', () => {
    const list = ['a', 'b', 'c', 'd'];
    // a dropped before c: b a c d
    expect(moved(list, 0, dropIndex(0, 2, false))).toEqual(['b', 'a', 'c', 'd']);
    // a dropped after d: b c d a
    expect(moved(list, 0, dropIndex(0, 3, true))).toEqual(['b', 'c', 'd', 'a']);
    // d dropped before a: d a b c
    expect(moved(list, 3, dropIndex(3, 0, false))).toEqual(['d', 'a', 'b', 'c']);
    // c dropped after a: a c b d
    expect(moved(list, 2, dropIndex(2, 0, true))).toEqual(['a', 'c', 'b', 'd']);
    // on itself, or just beside itself: no move
    expect(dropIndex(1, 1, false)).toBe(1);
    expect(dropIndex(1, 1, true)).toBe(1);
    expect(dropIndex(1, 0, true)).toBe(1);
    expect(dropIndex(1, 2, false)).toBe(1);
  });

  it('concurrent moves converge', () => {
    const doc = { elements: ['a', 'b', 'c', 'd'] };
    const x = [{ p: ['elements', 0], lm: 3 }];
    const y = [{ p: ['elements', 3], lm: 0 }];
    const xy = json0.apply(json0.apply(structuredClone(doc), x), json0.transform(y, x, 'right'));
    const yx = json0.apply(json0.apply(structuredClone(doc), y), json0.transform(x, y, 'left'));
    expect(xy).toEqual(yx);
    expect([...xy.elements].sort()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('cleans a typed title', () => {
    expect(cleanTitle('  Plan  B \n')).toBe('Plan B');
    expect(cleanTitle('a\tb\u0000c')).toBe('a b c');
    expect(cleanTitle('   ')).toBe('');
    expect(Array.from(cleanTitle('🗺️'.repeat(150)))).toHaveLength(200);
    expect(cleanTitle('x'.repeat(300))).toHaveLength(200);
  });
});
