import { describe, expect, it } from 'vitest';
import { layoutTree } from '#playground/viz/tree-layout.ts';

describe('the token tree layout', () => {
  it('puts depths in columns, leaves on consecutive rows and each inner node between its first and last child', () => {
    // 0 and 1 continue the prefix; 2 and 3 continue 0; 4 continues 3.
    const layout = layoutTree([-1, -1, 0, 0, 3]);
    expect(layout.depth).toEqual([1, 1, 2, 2, 3]);
    // Leaves in depth-first order: 2 (row 0), 4 (row 1), 1 (row 2); 3 sits on its only child, 0 between 2 and 3.
    expect(layout.row).toEqual([0.5, 2, 0, 1, 1]);
    expect(layout.rootRow).toBe(1.25);
    expect(layout.rows).toBe(3);
    expect(layout.depthMax).toBe(3);
  });

  it('draws an empty tree as the root alone', () => {
    expect(layoutTree([])).toEqual({ depth: [], row: [], rootRow: 0, rows: 1, depthMax: 0 });
  });
});
