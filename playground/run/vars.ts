/** A slider range around a var's default: wide enough to explore, fine enough to see the effect. */
export function varSliderRange(v: { type: 'f32' | 'i32' | 'u32'; defaultValue: number }): { min: number; max: number; step: number } {
  if (v.type !== 'f32') {
    const max = Math.max(16, 4 * Math.abs(v.defaultValue));
    return { min: v.type === 'u32' ? 0 : Math.min(0, -max), max, step: 1 };
  }
  const span = Math.max(4, 4 * Math.abs(v.defaultValue));
  return { min: -span, max: span, step: span / 200 };
}
