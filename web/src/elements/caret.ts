// Where a character offset of a textarea is drawn, through a hidden mirror
// element with the same box and font (an approximation, good for markers).

const COPIED = [
  'boxSizing', 'paddingTop', 'paddingRight', 'paddingBottom', 'paddingLeft',
  'borderTopWidth', 'borderRightWidth', 'borderBottomWidth', 'borderLeftWidth', 'borderStyle',
  'fontFamily', 'fontSize', 'fontWeight', 'fontStyle', 'letterSpacing', 'lineHeight',
  'textTransform', 'wordSpacing', 'tabSize', 'textIndent',
] as const;

export interface CaretBox {
  left: number;
  top: number;
  height: number;
}

export function caretBox(ta: HTMLTextAreaElement, pos: number): CaretBox {
  const cs = getComputedStyle(ta);
  const div = document.createElement('div');
  const st = div.style;
  for (const k of COPIED) st[k] = cs[k];
  st.position = 'absolute';
  st.visibility = 'hidden';
  st.top = '0';
  st.left = '-9999px';
  st.whiteSpace = 'pre-wrap';
  st.overflowWrap = 'break-word';
  st.overflow = 'hidden';
  // The text box without the scrollbar.
  st.boxSizing = 'content-box';
  const padX = parseFloat(cs.paddingLeft) + parseFloat(cs.paddingRight);
  st.width = `${Math.max(0, ta.clientWidth - padX)}px`;
  const text = ta.value;
  const at = Math.max(0, Math.min(pos, text.length));
  div.textContent = text.slice(0, at);
  const span = document.createElement('span');
  span.textContent = text.slice(at) || '.';
  div.appendChild(span);
  document.body.appendChild(div);
  const lh = parseFloat(cs.lineHeight) || parseFloat(cs.fontSize) * 1.3;
  // Relative to the textarea's border box (offsets start at the padding edge).
  const box = {
    left: span.offsetLeft + parseFloat(cs.borderLeftWidth) - ta.scrollLeft,
    top: span.offsetTop + parseFloat(cs.borderTopWidth) - ta.scrollTop,
    height: lh,
  };
  div.remove();
  return box;
}
