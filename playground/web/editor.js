// A plain-text editor with line numbers and per-line marks: a <textarea> over a gutter and a
// layer of line highlights, kept in step on every input and scroll. No dependencies.

export class Editor {
  /**
   * @param {HTMLElement} root  an empty element; the editor fills it
   * @param {{label: string, onInput: () => void}} options
   */
  constructor(root, { label, onInput }) {
    this.root = root;
    root.classList.add('editor');
    this.gutter = el('div', 'gutter');
    this.gutter.setAttribute('aria-hidden', 'true');
    this.marks = el('div', 'marks');
    this.marks.setAttribute('aria-hidden', 'true');
    this.area = el('textarea', 'text');
    this.area.spellcheck = false;
    this.area.wrap = 'off';
    this.area.setAttribute('autocapitalize', 'off');
    this.area.setAttribute('autocomplete', 'off');
    this.area.setAttribute('aria-label', label);
    const body = el('div', 'body');
    body.append(this.marks, this.area);
    root.append(this.gutter, body);
    this.lineCount = 0;
    this.lineMarks = new Map();
    this.area.addEventListener('input', () => {
      this.renderGutter();
      onInput();
    });
    this.area.addEventListener('scroll', () => this.syncScroll());
    this.area.addEventListener('keydown', (e) => {
      // Tab indents with two spaces instead of leaving the editor.
      if (e.key === 'Tab' && !e.shiftKey && !e.ctrlKey && !e.metaKey && !e.altKey) {
        e.preventDefault();
        document.execCommand('insertText', false, '  ');
      }
    });
    this.renderGutter();
  }

  get value() {
    return this.area.value;
  }

  set value(text) {
    this.area.value = text;
    this.renderGutter();
  }

  /** Marks lines: Map line → {kind: 'error' | 'violation' | 'warning', message}. */
  setMarks(marks) {
    this.lineMarks = marks;
    this.renderGutter(true);
  }

  renderGutter(force = false) {
    const count = this.area.value.split('\n').length;
    if (count === this.lineCount && !force) return;
    this.lineCount = count;
    const numbers = document.createDocumentFragment();
    const layer = document.createDocumentFragment();
    for (let i = 1; i <= count; i++) {
      const n = el('div', 'ln');
      n.textContent = String(i);
      const mark = this.lineMarks.get(i);
      if (mark) {
        n.classList.add(mark.kind);
        n.title = mark.message;
        const bar = el('div', `mark ${mark.kind}`);
        bar.style.top = `calc(${i - 1} * var(--line) + var(--pad))`;
        layer.append(bar);
      }
      numbers.append(n);
    }
    this.gutter.replaceChildren(numbers);
    this.marks.replaceChildren(layer);
    this.syncScroll();
  }

  syncScroll() {
    this.gutter.scrollTop = this.area.scrollTop;
    this.marks.style.transform = `translate(${-this.area.scrollLeft}px, ${-this.area.scrollTop}px)`;
  }

  /** Puts the caret at the start of `line` and scrolls it into view. */
  goToLine(line) {
    const lines = this.area.value.split('\n');
    let offset = 0;
    for (let i = 0; i < Math.min(line - 1, lines.length); i++) offset += lines[i].length + 1;
    this.area.focus({ preventScroll: true });
    this.area.setSelectionRange(offset, offset + (lines[line - 1]?.length ?? 0));
    const lineHeight = parseFloat(getComputedStyle(this.area).lineHeight) || 18;
    this.area.scrollTop = Math.max(0, (line - 4) * lineHeight);
    this.syncScroll();
  }
}

function el(tag, className) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  return e;
}
