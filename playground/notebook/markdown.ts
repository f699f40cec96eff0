/**
 * Markdown for lesson prose: CommonMark (markdown-it) plus `$…$` and `$$…$$` math typeset by
 * KaTeX when the site is built, and heading ids for the table of contents.
 */
import katex from 'katex';
import markdownIt, { type MarkdownIt, type StateBlock, type StateInline, type Token } from 'markdown-it';
import type { LessonError, TocEntry } from './cells.ts';

export function createMarkdown(): MarkdownIt {
  const md = markdownIt({ html: true, linkify: false, typographer: true });
  md.inline.ruler.after('escape', 'math_inline', mathInline);
  md.block.ruler.before('fence', 'math_block', mathBlock, { alt: ['paragraph', 'reference', 'blockquote', 'list'] });
  // By the time they render, finishTokens has replaced the TeX with KaTeX's HTML.
  md.renderer.rules.math_inline = (tokens, idx) => tokens[idx].content;
  md.renderer.rules.math_block = (tokens, idx) => `<div class="math-display">${tokens[idx].content}</div>\n`;
  // A wide code block scrolls sideways; focusable, so a keyboard can scroll it too.
  const fence = md.renderer.rules.fence!;
  md.renderer.rules.fence = (tokens, idx, options, env, self) => fence(tokens, idx, options, env, self).replace(/^<pre/, '<pre tabindex="0"');
  return md;
}

/**
 * Typesets the math tokens and gives headings unique ids, in place; returns the table of contents
 * and the errors (bad TeX, an unclosed `$$`, a `#` heading) with their lines.
 */
export function finishTokens(tokens: Token[]): { toc: TocEntry[]; errors: LessonError[] } {
  const ids = new Set<string>();
  const toc: TocEntry[] = [];
  const errors: LessonError[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    const line = (token.map?.[0] ?? 0) + 1;
    if (token.type === 'math_block') {
      if (token.meta?.unclosed) errors.push({ line, message: 'this $$ block is never closed: end it with a line that ends in $$' });
      token.content = typeset(token.content, true, line, errors);
    } else if (token.type === 'inline') {
      for (const child of token.children ?? []) {
        if (child.type === 'math_inline') {
          const childLine = line + ((child.meta as { lineInBlock?: number } | null)?.lineInBlock ?? 0);
          child.content = typeset(child.content, false, childLine, errors);
        }
      }
    } else if (token.type === 'heading_open') {
      const text = plainText(tokens[i + 1]);
      const id = uniqueId(slug(text), ids);
      token.attrSet('id', id);
      if (token.tag === 'h1') errors.push({ line, message: 'a lesson has no # heading: its title comes from the front matter; start sections at ##' });
      if (token.tag === 'h2' || token.tag === 'h3') toc.push({ level: token.tag === 'h2' ? 2 : 3, id, text });
    }
  }
  return { toc, errors };
}

function typeset(tex: string, displayMode: boolean, line: number, errors: LessonError[]): string {
  try {
    return katex.renderToString(tex, { displayMode, throwOnError: true, output: 'htmlAndMathml', strict: 'error' });
  } catch (error) {
    const reason = error instanceof Error ? error.message.replace(/^KaTeX parse error: /, '') : String(error);
    errors.push({ line, message: `math does not typeset: ${reason}` });
    return `<code class="math-error">${escapeHtml(tex)}</code>`;
  }
}

/**
 * `$…$` as in pandoc: the opening `$` is not followed by a space, the closing one is not preceded
 * by a space nor followed by a digit, so "costs $5 and $6" stays text. `\$` is a literal dollar.
 */
function mathInline(state: StateInline, silent: boolean): boolean {
  const src = state.src;
  const start = state.pos;
  if (src[start] !== '$') return false;
  const display = src[start + 1] === '$';
  const open = display ? 2 : 1;
  if (!display && /\s/.test(src[start + 1] ?? ' ')) return false;
  let end = start + open;
  for (;;) {
    end = src.indexOf(display ? '$$' : '$', end);
    if (end === -1) return false;
    if (src[end - 1] === '\\') {
      end += 1;
      continue;
    }
    if (!display && (/\s/.test(src[end - 1]) || /\d/.test(src[end + 1] ?? ''))) {
      end += 1;
      continue;
    }
    break;
  }
  const content = src.slice(start + open, end);
  if (!content.trim()) return false;
  if (!silent) {
    const token = state.push('math_inline', 'math', 0);
    token.markup = display ? '$$' : '$';
    token.content = content;
    token.meta = { display, lineInBlock: (src.slice(0, start).match(/\n/g) ?? []).length };
  }
  state.pos = end + open;
  return true;
}

/** A `$$` block: from a line starting with `$$` to a line ending with `$$` (possibly the same line). */
function mathBlock(state: StateBlock, startLine: number, endLine: number, silent: boolean): boolean {
  const lineText = (n: number) => state.src.slice(state.bMarks[n] + state.tShift[n], state.eMarks[n]);
  const first = lineText(startLine);
  if (!first.startsWith('$$') || state.sCount[startLine] - state.blkIndent >= 4) return false;
  if (silent) return true;
  let content: string;
  let last = startLine;
  let unclosed = false;
  const rest = first.slice(2).trimEnd();
  if (rest.endsWith('$$') && rest.length >= 2) {
    content = rest.slice(0, -2);
  } else {
    const lines = [rest];
    for (;;) {
      last += 1;
      if (last >= endLine) {
        unclosed = true;
        break;
      }
      const text = lineText(last).trimEnd();
      if (text.endsWith('$$')) {
        lines.push(text.slice(0, -2));
        break;
      }
      lines.push(text);
    }
    content = lines.join('\n');
  }
  const token = state.push('math_block', 'math', 0);
  token.block = true;
  token.content = content;
  token.map = [startLine, last + 1];
  token.meta = { unclosed };
  state.line = last + 1;
  return true;
}

function plainText(inline: Token | undefined): string {
  return (inline?.children ?? [])
    .filter((t) => t.type === 'text' || t.type === 'code_inline' || t.type === 'math_inline')
    .map((t) => (t.type === 'math_inline' ? t.content.replace(/\\[a-zA-Z]+/g, '').replace(/[{}^_]/g, '') : t.content))
    .join('')
    .trim();
}

/** GitHub-style slug: lower case, letters, digits and hyphens. */
export function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .replace(/[^a-z0-9\s-]/g, '')
      .trim()
      .replace(/\s+/g, '-') || 'section'
  );
}

function uniqueId(base: string, ids: Set<string>): string {
  let id = base;
  for (let n = 2; ids.has(id); n++) id = `${base}-${n}`;
  ids.add(id);
  return id;
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
