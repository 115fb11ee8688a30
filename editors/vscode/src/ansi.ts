// ANSI escape sequences (as kernels put them in tracebacks and streams) → styled text
// segments. Only SGR ("\x1b[…m") carries meaning for display; every other escape
// sequence is dropped.

/** A colour: `ansi:N` for the 16 theme colours (N = 0..15), or `#rrggbb`. */
export type Colour = string;

export interface Style {
  fg?: Colour;
  bg?: Colour;
  bold?: boolean;
  dim?: boolean;
  italic?: boolean;
  underline?: boolean;
  inverse?: boolean;
}

export interface Segment {
  text: string;
  style: Style;
}

// CSI (ESC [ params intermediates final), OSC (ESC ] … BEL | ESC \), and two-byte escapes.
const ESCAPE = /\x1b\[([0-9;:?]*)([ -/]*)([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]/g;

export function stripAnsi(text: string): string {
  return text.replace(ESCAPE, '');
}

function hex(n: number): string {
  return n.toString(16).padStart(2, '0');
}

/** xterm's 256-colour palette, for indexes 16..255. */
export function colour256(index: number): Colour {
  if (index < 16) return `ansi:${index}`;
  if (index < 232) {
    const i = index - 16;
    const level = (v: number) => (v === 0 ? 0 : 55 + v * 40);
    return `#${hex(level(Math.floor(i / 36)))}${hex(level(Math.floor(i / 6) % 6))}${hex(level(i % 6))}`;
  }
  const grey = 8 + (index - 232) * 10;
  return `#${hex(grey)}${hex(grey)}${hex(grey)}`;
}

function applySgr(style: Style, params: number[]): Style {
  const next: Style = { ...style };
  if (params.length === 0) params = [0];
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    if (p === 0) {
      for (const key of Object.keys(next) as (keyof Style)[]) delete next[key];
    } else if (p === 1) next.bold = true;
    else if (p === 2) next.dim = true;
    else if (p === 3) next.italic = true;
    else if (p === 4) next.underline = true;
    else if (p === 7) next.inverse = true;
    else if (p === 22) {
      delete next.bold;
      delete next.dim;
    } else if (p === 23) delete next.italic;
    else if (p === 24) delete next.underline;
    else if (p === 27) delete next.inverse;
    else if (p >= 30 && p <= 37) next.fg = `ansi:${p - 30}`;
    else if (p >= 90 && p <= 97) next.fg = `ansi:${p - 90 + 8}`;
    else if (p >= 40 && p <= 47) next.bg = `ansi:${p - 40}`;
    else if (p >= 100 && p <= 107) next.bg = `ansi:${p - 100 + 8}`;
    else if (p === 39) delete next.fg;
    else if (p === 49) delete next.bg;
    else if (p === 38 || p === 48) {
      const key = p === 38 ? 'fg' : 'bg';
      if (params[i + 1] === 5 && i + 2 < params.length) {
        next[key] = colour256(params[i + 2]);
        i += 2;
      } else if (params[i + 1] === 2 && i + 4 < params.length) {
        const [r, g, b] = params.slice(i + 2, i + 5).map((v) => Math.max(0, Math.min(255, v)));
        next[key] = `#${hex(r)}${hex(g)}${hex(b)}`;
        i += 4;
      } else {
        break; // malformed extended colour: ignore the rest of this sequence
      }
    }
  }
  return next;
}

/** Split `text` into runs of equal style; escape sequences are consumed. */
export function parseAnsi(text: string): Segment[] {
  const segments: Segment[] = [];
  let style: Style = {};
  let last = 0;
  const push = (chunk: string) => {
    if (!chunk) return;
    const prev = segments[segments.length - 1];
    if (prev && sameStyle(prev.style, style)) prev.text += chunk;
    else segments.push({ text: chunk, style });
  };
  ESCAPE.lastIndex = 0;
  for (let m = ESCAPE.exec(text); m; m = ESCAPE.exec(text)) {
    push(text.slice(last, m.index));
    last = m.index + m[0].length;
    if (m[3] === 'm' && m[2] === '' && !m[1].includes('?')) {
      const params = m[1] === '' ? [] : m[1].split(/[;:]/).map((v) => (v === '' ? 0 : Number(v)));
      style = applySgr(style, params);
    }
  }
  push(text.slice(last));
  return segments;
}

function sameStyle(a: Style, b: Style): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]) as Set<keyof Style>;
  for (const k of keys) if (a[k] !== b[k]) return false;
  return true;
}
