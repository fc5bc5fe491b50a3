import { describe, expect, it } from 'vitest';
import { clampInt, clampNum, isSha, titleOf } from '../src/elements/slides';

describe('slides helpers', () => {
  it('clamps what a remote document says', () => {
    expect(clampInt(3, 1, 5, 1)).toBe(3);
    expect(clampInt(99, 1, 5, 1)).toBe(5);
    expect(clampInt(-4, 1, 5, 1)).toBe(1);
    expect(clampInt(2.6, 1, 5, 1)).toBe(3);
    expect(clampInt('3', 1, 5, 1)).toBe(1);
    expect(clampInt(NaN, 1, 5, 2)).toBe(2);
    expect(clampNum(Infinity, 0, 1, 0.5)).toBe(0.5);
    expect(clampNum(1.5, 0, 1, 0.5)).toBe(1);
  });
  it('accepts only sha256 hex as a blob', () => {
    expect(isSha('a'.repeat(64))).toBe(true);
    expect(isSha('A'.repeat(64))).toBe(false);
    expect(isSha('../etc/passwd')).toBe(false);
    expect(isSha(undefined)).toBe(false);
  });
  it('titles from file names', () => {
    expect(titleOf('Quarterly deck.pdf')).toBe('Quarterly deck');
    expect(titleOf('talk.v2.pptx')).toBe('talk.v2');
    expect(titleOf('.pdf')).toBe('Slides');
    expect(titleOf('x'.repeat(300)).length).toBe(200);
  });
});
