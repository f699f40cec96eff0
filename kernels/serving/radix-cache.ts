/**
 * RadixAttention's prefix cache: a radix tree over token sequences whose edges hold runs of
 * tokens (and stand for their KV entries). Lookups return the longest cached prefix; inserting a
 * sequence that diverges inside an edge splits it; running requests hold references on the path
 * they use; under a token budget, unreferenced leaves are evicted least recently used first.
 * Deterministic: time is a counter that advances on every lookup and insert.
 */

export interface RadixNode {
  id: number;
  /** The tokens on the edge from the parent to this node. */
  tokens: number[];
  children: Map<number, RadixNode>;
  parent: RadixNode | undefined;
  /** Running requests using this node (it cannot be evicted while > 0). */
  refs: number;
  lastUsed: number;
}

export interface MatchResult {
  /** Tokens of the query found in the cache, from the start. */
  length: number;
  /** The deepest node fully or partly matched (the root when nothing matched). */
  node: RadixNode;
}

export interface RadixStats {
  /** Tokens stored in the tree. */
  tokens: number;
  nodes: number;
  /** Matched tokens / looked-up tokens over all `match` calls. */
  hitRate: number;
  evictedTokens: number;
  evictions: number;
}

export class RadixCache {
  readonly root: RadixNode;
  private clock = 0;
  private nextId = 1;
  private storedTokens = 0;
  private lookedUp = 0;
  private matched = 0;
  private evictedTokens = 0;
  private evictions = 0;

  /** `capacity`: the most tokens the cache may hold (its share of the KV pool). */
  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError(`capacity must be a whole number ≥ 0, got ${capacity}`);
    this.root = { id: 0, tokens: [], children: new Map(), parent: undefined, refs: 0, lastUsed: 0 };
  }

  /** The longest cached prefix of `tokens`; touches the path so it counts as recently used. */
  match(tokens: readonly number[]): MatchResult {
    const now = ++this.clock;
    const result = descend(this.root, tokens, (node) => (node.lastUsed = now));
    this.lookedUp += tokens.length;
    this.matched += result.length;
    return result;
  }

  /**
   * Adds `tokens` (a finished prompt or request) and returns how many were already cached. Evicts
   * unreferenced leaves, least recently used first, to stay within capacity; if that cannot make
   * room, only the prefix that fits is kept.
   */
  insert(tokens: readonly number[]): number {
    const now = ++this.clock;
    let node = this.root;
    let at = 0;
    while (at < tokens.length) {
      const child = node.children.get(tokens[at]);
      if (!child) break;
      const common = commonPrefix(child.tokens, tokens, at);
      child.lastUsed = now;
      if (common < child.tokens.length) {
        node = this.split(child, common);
        at += common;
        break;
      }
      node = child;
      at += common;
    }
    const cached = at;
    if (at < tokens.length) {
      // Keep the path being extended from being evicted to make room for its own extension.
      this.lockPath(node);
      this.evict(this.storedTokens + tokens.length - at - this.capacity);
      this.unlockPath(node);
      const room = Math.min(tokens.length - at, this.capacity - this.storedTokens);
      if (room > 0) {
        const leaf: RadixNode = { id: this.nextId++, tokens: tokens.slice(at, at + room), children: new Map(), parent: node, refs: 0, lastUsed: now };
        node.children.set(leaf.tokens[0], leaf);
        this.storedTokens += room;
      }
    }
    return cached;
  }

  /** A running request uses the prefix ending at `node`: none of it can be evicted until released. */
  lockPath(node: RadixNode): void {
    for (let n: RadixNode | undefined = node; n && n !== this.root; n = n.parent) n.refs++;
  }

  unlockPath(node: RadixNode): void {
    for (let n: RadixNode | undefined = node; n && n !== this.root; n = n.parent) {
      if (n.refs === 0) throw new Error(`node ${n.id} is not locked`);
      n.refs--;
    }
  }

  /** Evicts unreferenced leaves, least recently used first, until `tokens` are freed or none can be. Returns the evicted nodes. */
  evict(tokens: number): RadixNode[] {
    const evicted: RadixNode[] = [];
    let freed = 0;
    while (freed < tokens) {
      const leaf = this.lruLeaf();
      if (!leaf) break;
      leaf.parent!.children.delete(leaf.tokens[0]);
      freed += leaf.tokens.length;
      this.storedTokens -= leaf.tokens.length;
      this.evictedTokens += leaf.tokens.length;
      this.evictions++;
      evicted.push(leaf);
    }
    return evicted;
  }

  stats(): RadixStats {
    let nodes = 0;
    const walk = (n: RadixNode) => {
      for (const child of n.children.values()) {
        nodes++;
        walk(child);
      }
    };
    walk(this.root);
    return {
      tokens: this.storedTokens,
      nodes,
      hitRate: this.lookedUp === 0 ? 0 : this.matched / this.lookedUp,
      evictedTokens: this.evictedTokens,
      evictions: this.evictions,
    };
  }

  /** Splits `child` after `at` of its tokens; returns the new middle node. */
  private split(child: RadixNode, at: number): RadixNode {
    const parent = child.parent!;
    const middle: RadixNode = {
      id: this.nextId++,
      tokens: child.tokens.slice(0, at),
      children: new Map(),
      parent,
      refs: child.refs,
      lastUsed: child.lastUsed,
    };
    parent.children.set(middle.tokens[0], middle);
    child.tokens = child.tokens.slice(at);
    child.parent = middle;
    middle.children.set(child.tokens[0], child);
    return middle;
  }

  private lruLeaf(): RadixNode | undefined {
    let best: RadixNode | undefined;
    const walk = (n: RadixNode) => {
      for (const child of n.children.values()) {
        if (child.children.size === 0) {
          if (child.refs === 0 && (!best || child.lastUsed < best.lastUsed || (child.lastUsed === best.lastUsed && child.id < best.id))) best = child;
        } else walk(child);
      }
    };
    walk(this.root);
    return best;
  }
}

function commonPrefix(edge: readonly number[], tokens: readonly number[], from: number): number {
  let n = 0;
  while (n < edge.length && from + n < tokens.length && edge[n] === tokens[from + n]) n++;
  return n;
}

/**
 * Cache-aware scheduling: waiting requests ordered by the longest prefix the cache already holds
 * (ties keep arrival order), as SGLang does to turn shared prefixes into hits.
 */
export function orderByCachedPrefix<T extends { tokens: readonly number[] }>(cache: RadixCache, waiting: readonly T[]): T[] {
  const lengths = waiting.map((request) => prefixLength(cache, request.tokens));
  return waiting.map((request, i) => ({ request, i })).sort((a, b) => lengths[b.i] - lengths[a.i] || a.i - b.i).map((x) => x.request);
}

/** The cached prefix length without touching recency or hit statistics. */
function prefixLength(cache: RadixCache, tokens: readonly number[]): number {
  return descend(cache.root, tokens).length;
}

/** Follows `tokens` down from `root` as far as they match, calling `visit` on each node entered. */
function descend(root: RadixNode, tokens: readonly number[], visit?: (node: RadixNode) => void): MatchResult {
  let node = root;
  let length = 0;
  while (length < tokens.length) {
    const child = node.children.get(tokens[length]);
    if (!child) break;
    const common = commonPrefix(child.tokens, tokens, length);
    visit?.(child);
    length += common;
    node = child;
    if (common < child.tokens.length) break;
  }
  return { length, node };
}
