/**
 * Inputs for cells: each returns a labelled element whose `value` is the current value and which
 * fires `input` when it changes, so `const cap = view(range('cap', { min: 1, max: 50 }))` makes
 * `cap` a value that re-runs the cells reading it as the learner drags. Browser only.
 */

export type InputElement<T> = HTMLFormElement & { readonly value: T };

export interface RangeOptions {
  min: number;
  max: number;
  /** Default: 1 when min and max are whole numbers, else (max − min) / 100. */
  step?: number;
  /** Default: halfway, rounded to the step. */
  value?: number;
  /** The input's name (default: the label). */
  name?: string;
}

/** A slider with its current value shown beside it. */
export function range(label: string, options: RangeOptions): InputElement<number> {
  const { min, max } = options;
  if (!(max > min)) throw new RangeError(`range '${label}': max (${max}) must be greater than min (${min})`);
  const step = options.step ?? (Number.isInteger(min) && Number.isInteger(max) ? 1 : (max - min) / 100);
  const value = options.value ?? min + Math.round((max - min) / 2 / step) * step;
  const input = element('input', { type: 'range', name: options.name ?? label, min: String(min), max: String(max), step: String(step) });
  input.value = String(value);
  const output = element('output', {});
  const show = () => (output.textContent = formatNumber(input.valueAsNumber, step));
  show();
  input.addEventListener('input', show);
  return form(label, [input, output], () => input.valueAsNumber);
}

/** A drop-down of fixed choices. */
export function select<T extends string>(label: string, choices: readonly T[], options: { value?: T; name?: string } = {}): InputElement<T> {
  if (!choices.length) throw new RangeError(`select '${label}' has no choices`);
  const input = element('select', { name: options.name ?? label });
  for (const choice of choices) input.append(Object.assign(element('option', {}), { value: choice, textContent: choice }));
  input.value = options.value ?? choices[0];
  return form(label, [input], () => input.value as T);
}

/** A checkbox. */
export function checkbox(label: string, options: { value?: boolean; name?: string } = {}): InputElement<boolean> {
  const input = element('input', { type: 'checkbox', name: options.name ?? label });
  input.checked = options.value ?? false;
  input.addEventListener('change', () => input.dispatchEvent(new Event('input', { bubbles: true })));
  return form(label, [input], () => input.checked);
}

function form<T>(label: string, controls: HTMLElement[], read: () => T): InputElement<T> {
  const root = element('form', { class: 'nb-input' });
  root.addEventListener('submit', (event) => event.preventDefault());
  const wrapper = element('label', {});
  wrapper.append(element('span', { class: 'nb-input-label' }, label), ...controls);
  root.append(wrapper);
  Object.defineProperty(root, 'value', { get: read });
  return root as InputElement<T>;
}

function element<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Record<string, string>, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function formatNumber(x: number, step: number): string {
  const decimals = Math.max(0, Math.min(6, Math.ceil(-Math.log10(step))));
  return x.toFixed(decimals);
}
