/** How a drafted token fared in verification, or the token the target emitted itself. */
export type NodeStatus = 'accepted' | 'rejected' | 'untried' | 'emitted';

export interface TreeLayout {
  /** Column of each node (the root is column 0). */
  depth: number[];
  /** Row of each node, fractional for inner nodes. */
  row: number[];
  rootRow: number;
  /** Rows used (at least 1). */
  rows: number;
  /** Deepest column. */
  depthMax: number;
}

/**
 * A left-to-right layout of a tree given by parent pointers (-1: the root, which is implicit):
 * columns are depths, leaves take consecutive rows in depth-first order, and an inner node sits
 * midway between its first and last child.
 */
export function layoutTree(parents: readonly number[]): TreeLayout {
  const children: number[][] = parents.map(() => []);
  const rootChildren: number[] = [];
  parents.forEach((parent, node) => (parent === -1 ? rootChildren : children[parent]).push(node));
  const depth = parents.map(() => 0);
  const row = parents.map(() => 0);
  let nextRow = 0;
  const place = (kids: number[], d: number): [number, number] => {
    let first = NaN;
    let last = NaN;
    for (const node of kids) {
      depth[node] = d;
      row[node] = children[node].length ? mid(place(children[node], d + 1)) : nextRow++;
      if (Number.isNaN(first)) first = row[node];
      last = row[node];
    }
    return [first, last];
  };
  const rootRow = rootChildren.length ? mid(place(rootChildren, 1)) : 0;
  return { depth, row, rootRow, rows: Math.max(1, nextRow), depthMax: Math.max(0, ...depth) };
}

function mid([first, last]: [number, number]): number {
  return (first + last) / 2;
}
