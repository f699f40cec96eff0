/** The built-in variants: each a file in the variant language under builtins/, compiled like a learner's. */

const sources = import.meta.glob('./builtins/*.ts', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;

export interface BuiltinVariant {
  /** File name without extension, e.g. `sliding-window`. */
  id: string;
  /** The first comment line. */
  title: string;
  source: string;
}

export const BUILTIN_VARIANTS: BuiltinVariant[] = Object.entries(sources)
  .map(([path, source]) => ({
    id: path.replace(/^.*\//, '').replace(/\.ts$/, ''),
    title: /^\/\/ ([^\n:.]*)/.exec(source)?.[1] ?? path,
    source,
  }))
  .sort((a, b) => a.id.localeCompare(b.id));

export function builtinVariant(id: string): BuiltinVariant {
  const found = BUILTIN_VARIANTS.find((b) => b.id === id);
  if (!found) throw new RangeError(`no built-in variant '${id}'; there are ${BUILTIN_VARIANTS.map((b) => b.id).join(', ')}`);
  return found;
}
