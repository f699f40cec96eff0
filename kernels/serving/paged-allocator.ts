/**
 * PagedAttention's block manager: fixed-size pages, a page table per request, a free list,
 * reference counts for pages shared by forks (parallel sampling, beam search) and by identical
 * prompt prefixes (found by a hash of each full page's tokens and everything before it), and
 * copy-on-write when a request writes into a page others still read.
 *
 * Running out of pages is a result, never an exception or a half-done change: the caller
 * preempts or refuses, and the allocator is exactly as it was.
 */

import { fnv1a } from '../hash.ts';

export interface PageTable {
  pages: number[];
  /** Tokens in the last page (1 … pageSize), 0 for an empty request. */
  lastPageLen: number;
  /** Tokens of the request. */
  length: number;
}

export type AllocResult = { ok: true } | { ok: false; needed: number; free: number };

/** A page copied because its writer did not own it alone (copy `tokens` slots of `from` into `to`). */
export interface CopyEvent {
  request: string;
  from: number;
  to: number;
  tokens: number;
}

export interface AllocatorStats {
  numPages: number;
  pagesInUse: number;
  freePages: number;
  /** Pages referenced by more than one request or cached prefix. */
  sharedPages: number;
  /** Token slots allocated but holding no token (the unused tail of last pages). */
  internalFragmentation: number;
  /** Tokens held over all requests, counting shared pages once per request. */
  tokens: number;
}

interface Request {
  pages: number[];
  length: number;
}

export class PagedAllocator {
  private readonly free: number[];
  private readonly refs: Int32Array;
  private readonly requests = new Map<string, Request>();
  /** Full pages by the hash of their tokens and all tokens before them. */
  private readonly byHash = new Map<string, number>();
  private readonly hashOf = new Map<number, string>();
  readonly copies: CopyEvent[] = [];

  constructor(
    readonly numPages: number,
    readonly pageSize: number,
  ) {
    if (!Number.isInteger(numPages) || numPages < 1) throw new RangeError(`numPages must be a positive integer, got ${numPages}`);
    if (!Number.isInteger(pageSize) || pageSize < 1) throw new RangeError(`pageSize must be a positive integer, got ${pageSize}`);
    // Lowest page numbers first, so page tables are easy to read in lessons.
    this.free = Array.from({ length: numPages }, (_, i) => numPages - 1 - i);
    this.refs = new Int32Array(numPages);
  }

  /**
   * Allocates pages for a new request holding `tokens`. Full pages whose prefix hash matches a
   * page already in memory are shared instead of allocated (prefix caching).
   */
  allocate(id: string, tokens: readonly number[]): AllocResult {
    if (this.requests.has(id)) throw new Error(`request ${id} already has pages`);
    const pageCount = Math.ceil(tokens.length / this.pageSize);
    const hashes = fullPageHashes(tokens, this.pageSize);
    const shared = hashes.map((hash) => (hash === undefined ? undefined : this.byHash.get(hash)));
    const needed = shared.filter((p) => p === undefined).length + (pageCount - hashes.length);
    if (needed > this.free.length) return { ok: false, needed, free: this.free.length };
    const pages: number[] = [];
    for (let i = 0; i < pageCount; i++) {
      const page = shared[i] ?? this.take();
      this.refs[page]++;
      const hash = hashes[i];
      if (hash !== undefined && shared[i] === undefined) {
        this.byHash.set(hash, page);
        this.hashOf.set(page, hash);
      }
      pages.push(page);
    }
    this.requests.set(id, { pages, length: tokens.length });
    return { ok: true };
  }

  /** Appends generated tokens; copies the last page first if another request shares it. */
  append(id: string, tokens: readonly number[]): AllocResult {
    const request = this.get(id);
    const lastPageRoom = request.pages.length * this.pageSize - request.length;
    const newPages = Math.max(0, Math.ceil((tokens.length - lastPageRoom) / this.pageSize));
    const last = request.pages[request.pages.length - 1];
    const copy = lastPageRoom > 0 && tokens.length > 0 && this.refs[last] > 1 ? 1 : 0;
    if (newPages + copy > this.free.length) return { ok: false, needed: newPages + copy, free: this.free.length };
    if (copy) {
      const to = this.take();
      this.refs[to] = 1;
      this.refs[last]--;
      request.pages[request.pages.length - 1] = to;
      this.copies.push({ request: id, from: last, to, tokens: this.pageSize - lastPageRoom });
    }
    for (let i = 0; i < newPages; i++) {
      const page = this.take();
      this.refs[page] = 1;
      request.pages.push(page);
    }
    request.length += tokens.length;
    return { ok: true };
  }

  /** A child that shares every page of its parent (parallel sampling, beam search). */
  fork(parent: string, child: string): void {
    if (this.requests.has(child)) throw new Error(`request ${child} already has pages`);
    const source = this.get(parent);
    for (const page of source.pages) this.refs[page]++;
    this.requests.set(child, { pages: [...source.pages], length: source.length });
  }

  /** Releases a request; pages no one references return to the free list. */
  release(id: string): void {
    const request = this.get(id);
    for (const page of request.pages) {
      this.refs[page]--;
      if (this.refs[page] === 0) {
        const hash = this.hashOf.get(page);
        if (hash !== undefined) {
          this.byHash.delete(hash);
          this.hashOf.delete(page);
        }
        this.free.push(page);
      }
    }
    this.requests.delete(id);
  }

  pageTable(id: string): PageTable {
    const request = this.get(id);
    const lastPageLen = request.length === 0 ? 0 : request.length - (request.pages.length - 1) * this.pageSize;
    return { pages: [...request.pages], lastPageLen, length: request.length };
  }

  /** How many requests (or cached prefixes) reference a page. */
  refCount(page: number): number {
    return this.refs[page];
  }

  has(id: string): boolean {
    return this.requests.has(id);
  }

  /** FlashInfer's paged-KV index arrays for these requests, in order. */
  kvLayout(ids: readonly string[]): { kvIndptr: Uint32Array; kvIndices: Uint32Array; kvLastPageLen: Uint32Array } {
    const tables = ids.map((id) => this.pageTable(id));
    const kvIndptr = new Uint32Array(ids.length + 1);
    tables.forEach((t, i) => (kvIndptr[i + 1] = kvIndptr[i] + t.pages.length));
    return {
      kvIndptr,
      kvIndices: Uint32Array.from(tables.flatMap((t) => t.pages)),
      kvLastPageLen: Uint32Array.from(tables.map((t) => t.lastPageLen)),
    };
  }

  stats(): AllocatorStats {
    let sharedPages = 0;
    for (const r of this.refs) if (r > 1) sharedPages++;
    let internalFragmentation = 0;
    let tokens = 0;
    const seen = new Set<number>();
    for (const request of this.requests.values()) {
      tokens += request.length;
      const last = request.pages[request.pages.length - 1];
      if (last !== undefined && !seen.has(last)) {
        seen.add(last);
        internalFragmentation += request.pages.length * this.pageSize - request.length;
      }
    }
    const freePages = this.free.length;
    return { numPages: this.numPages, pagesInUse: this.numPages - freePages, freePages, sharedPages, internalFragmentation, tokens };
  }

  private take(): number {
    const page = this.free.pop();
    if (page === undefined) throw new Error('internal: free list empty after a capacity check');
    return page;
  }

  private get(id: string): Request {
    const request = this.requests.get(id);
    if (!request) throw new Error(`no request ${id}`);
    return request;
  }
}

/**
 * Hash of each full page, chained with the hash of the page before it (as vLLM's prefix caching
 * does), so equal hashes mean equal prefixes (up to 64-bit FNV-1a collisions).
 */
export function fullPageHashes(tokens: readonly number[], pageSize: number): string[] {
  const hashes: string[] = [];
  let previous = '';
  for (let start = 0; start + pageSize <= tokens.length; start += pageSize) {
    previous = fnv1a(`${previous}|${tokens.slice(start, start + pageSize).join(',')}`);
    hashes.push(previous);
  }
  return hashes;
}
