import { describe, expect, it } from 'vitest';
import { parseLengths, shapeFromInputs, shapeInputs, SHAPE_PRESETS, settingsProblem } from '#playground/run/shapes.ts';

const base = SHAPE_PRESETS[0].settings;

describe('playground settings', () => {
  it('round-trip through a share link’s inputs', () => {
    for (const { settings } of SHAPE_PRESETS) expect(shapeFromInputs(shapeInputs(settings), base)).toEqual(settings);
  });

  it('take what a link leaves out from the page, and ignore inputs that are not settings', () => {
    expect(shapeFromInputs({ seed: 9, 'var-cap': 12 }, base)).toEqual({ ...base, seed: 9 });
  });

  it('refuse a value the form could not hold, in words', () => {
    expect(shapeFromInputs({ headDim: 96 }, base)).toBe('headDim is 96; the playground takes 64, 128');
    expect(shapeFromInputs({ numQoHeads: 0 }, base)).toBe('numQoHeads is 0; the playground takes a whole number from 1 to 32');
    expect(shapeFromInputs({ pageSize: 8 }, base)).toBe('pageSize is 8; the playground takes 0, 1, 4, 16, 64');
    expect(shapeFromInputs({ seed: '3' }, base)).toBe('seed is "3"; the playground takes a whole number from 1 to 2147483647');
    expect(shapeFromInputs({ causal: 'yes' }, base)).toBe('causal is "yes"; the playground takes true or false');
    expect(shapeFromInputs({ kvLens: '12, x' }, base)).toBe('KV lengths: "x" is not a whole number from 0 to 4096');
  });

  it('refuse settings that do not fit together, as the form does', () => {
    expect(shapeFromInputs({ kvLens: '128' }, base)).toBe(settingsProblem({ ...base, kvLens: [128] }));
    expect(shapeFromInputs({ numQoHeads: 6, numKvHeads: 4 }, base)).toBe('KV heads (4) must divide query heads (6)');
    expect(parseLengths('1, 2', 'Query lengths')).toEqual([1, 2]);
  });
});
