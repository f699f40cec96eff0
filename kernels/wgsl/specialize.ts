/**
 * Fills the `const NAME: u32 = ...; // specialized` lines of a kernel template. The lines keep
 * WGSL syntax with a default value (an attention template still compiles only once the host has
 * added its hooks and included pieces), and a missing or unknown name is an error rather than a
 * silently unspecialized kernel.
 */
export function specialize(template: string, label: string, values: Record<string, number>): string {
  const seen = new Set<string>();
  const out = template.replace(
    /^const (\w+): u32 = \d+u;(\s*)\/\/ specialized$/gm,
    (_line, name: string, space: string) => {
      const value = values[name];
      if (value === undefined) throw new Error(`${label}: no value for specialized constant ${name}`);
      if (!Number.isInteger(value) || value < 0) throw new Error(`${label}: ${name} must be a u32, got ${value}`);
      seen.add(name);
      return `const ${name}: u32 = ${value}u;${space}// specialized`;
    },
  );
  for (const name of Object.keys(values)) {
    if (!seen.has(name)) throw new Error(`${label}: template has no specialized constant ${name}`);
  }
  return out;
}
