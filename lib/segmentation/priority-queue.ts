/**
 * Binary min-heap of (value, age, index) items over parallel typed arrays, ordered by value, then
 * age (smaller first). Its sift-up and sift-down make exactly the comparisons of scikit-image's
 * `heap_general.pxi` (CellProfiler's heap), so items with equal (value, age) pop in the same
 * order as in `skimage.segmentation.watershed`.
 */
export class FloodHeap {
  private values: Float64Array;
  private ages: Float64Array;
  private indices: Int32Array;
  /** Number of items in the heap. */
  size = 0;
  /** Value and age of the item returned by the last {@link pop}. */
  poppedValue = 0;
  poppedAge = 0;

  constructor(initialCapacity = 1024) {
    const c = Math.max(16, initialCapacity | 0);
    this.values = new Float64Array(c);
    this.ages = new Float64Array(c);
    this.indices = new Int32Array(c);
  }

  private grow(): void {
    const c = this.values.length * 2;
    const v = new Float64Array(c);
    v.set(this.values);
    const a = new Float64Array(c);
    a.set(this.ages);
    const ix = new Int32Array(c);
    ix.set(this.indices);
    this.values = v;
    this.ages = a;
    this.indices = ix;
  }

  push(value: number, age: number, index: number): void {
    if (this.size === this.values.length) this.grow();
    const values = this.values;
    const ages = this.ages;
    const indices = this.indices;
    let child = this.size++;
    while (child > 0) {
      const parent = (child - 1) >> 1;
      const pv = values[parent];
      // smaller(new, parent): value first, then age.
      if (value < pv || (value === pv && age < ages[parent])) {
        values[child] = pv;
        ages[child] = ages[parent];
        indices[child] = indices[parent];
        child = parent;
      } else break;
    }
    values[child] = value;
    ages[child] = age;
    indices[child] = index;
  }

  /** Removes the smallest item and returns its index (value and age in poppedValue/poppedAge). Heap must be non-empty. */
  pop(): number {
    const values = this.values;
    const ages = this.ages;
    const indices = this.indices;
    const top = indices[0];
    this.poppedValue = values[0];
    this.poppedAge = ages[0];
    const n = --this.size;
    if (n === 0) return top;
    // Move the last item to the root and sift it down.
    const v = values[n];
    const a = ages[n];
    const x = indices[n];
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      let sv = v;
      let sa = a;
      let smallest = i;
      const lv = values[l];
      if (lv < sv || (lv === sv && ages[l] < sa)) {
        smallest = l;
        sv = lv;
        sa = ages[l];
      }
      const r = l + 1;
      if (r < n) {
        const rv = values[r];
        if (rv < sv || (rv === sv && ages[r] < sa)) smallest = r;
      }
      if (smallest === i) break;
      values[i] = values[smallest];
      ages[i] = ages[smallest];
      indices[i] = indices[smallest];
      i = smallest;
    }
    values[i] = v;
    ages[i] = a;
    indices[i] = x;
    return top;
  }
}

/** FIFO chunk length (one 64-byte cache line of indices). */
const CHUNK = 16;

/**
 * Exact (value, insertion order) priority queue: one FIFO per distinct float32 value and a binary
 * heap of the non-empty value buckets keyed by value. Popping the head of the smallest bucket
 * gives precisely the (value, age) order of a heap keyed by value then push order, at O(1) per
 * item plus O(log B) per bucket transition (B = distinct values in the queue). Each FIFO is a
 * linked list of 16-index chunks, so pops read indices sequentially.
 * Values are identified by their float32 bit pattern (with −0 folded into +0); NaN is not allowed.
 */
export class BucketFifoQueue {
  // Chunk pool: items[c*CHUNK .. c*CHUNK+CHUNK), chunkNext[c] links a FIFO; freeChunk heads the free list.
  private items: Int32Array;
  private chunkNext: Int32Array;
  private nChunks = 0;
  private freeChunk = -1;
  // Hash table: float32 bits → bucket id (open addressing, linear probing).
  private hKeys: Uint32Array;
  private hVals: Int32Array;
  private hMask: number;
  // Buckets: value, head chunk/position, tail chunk/position, whether in the heap.
  private bValue: Float64Array;
  private bHeadC: Int32Array;
  private bHeadP: Int32Array;
  private bTailC: Int32Array;
  private bTailP: Int32Array;
  private bInHeap: Uint8Array;
  private nBuckets = 0;
  // Heap of bucket ids.
  private heap: Int32Array;
  private heapSize = 0;
  /** Number of queued items. */
  size = 0;

  constructor(initialChunks = 1024) {
    const c = Math.max(16, initialChunks | 0);
    this.items = new Int32Array(c * CHUNK);
    this.chunkNext = new Int32Array(c);
    this.hKeys = new Uint32Array(1024).fill(0xffffffff);
    this.hVals = new Int32Array(1024);
    this.hMask = 1023;
    this.bValue = new Float64Array(256);
    this.bHeadC = new Int32Array(256);
    this.bHeadP = new Int32Array(256);
    this.bTailC = new Int32Array(256);
    this.bTailP = new Int32Array(256);
    this.bInHeap = new Uint8Array(256);
    this.heap = new Int32Array(256);
  }

  private allocChunk(): number {
    let c = this.freeChunk;
    if (c >= 0) {
      this.freeChunk = this.chunkNext[c];
    } else {
      c = this.nChunks++;
      if (c === this.chunkNext.length) {
        const items = new Int32Array(this.items.length * 2);
        items.set(this.items);
        this.items = items;
        const cn = new Int32Array(this.chunkNext.length * 2);
        cn.set(this.chunkNext);
        this.chunkNext = cn;
      }
    }
    this.chunkNext[c] = -1;
    return c;
  }

  private bucketOf(bits: number, value: number): number {
    const keys = this.hKeys;
    const mask = this.hMask;
    let h = Math.imul(bits, 0x9e3779b1) >>> 0;
    h = (h ^ (h >>> 15)) & mask;
    for (;;) {
      const k = keys[h];
      if (k === bits) return this.hVals[h];
      if (k === 0xffffffff) break;
      h = (h + 1) & mask;
    }
    const b = this.nBuckets++;
    if (b === this.bValue.length) this.growBuckets();
    this.bValue[b] = value;
    this.bHeadC[b] = -1;
    this.bTailC[b] = -1;
    this.bInHeap[b] = 0;
    keys[h] = bits;
    this.hVals[h] = b;
    if (this.nBuckets * 2 > mask) this.rehash();
    return b;
  }

  private growBuckets(): void {
    const c = this.bValue.length * 2;
    const grow = <T extends Float64Array | Int32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const out = make(c);
      out.set(a);
      return out;
    };
    this.bValue = grow(this.bValue, (n) => new Float64Array(n));
    this.bHeadC = grow(this.bHeadC, (n) => new Int32Array(n));
    this.bHeadP = grow(this.bHeadP, (n) => new Int32Array(n));
    this.bTailC = grow(this.bTailC, (n) => new Int32Array(n));
    this.bTailP = grow(this.bTailP, (n) => new Int32Array(n));
    this.bInHeap = grow(this.bInHeap, (n) => new Uint8Array(n));
    this.heap = grow(this.heap, (n) => new Int32Array(n));
  }

  private rehash(): void {
    const oldK = this.hKeys;
    const oldV = this.hVals;
    const cap = oldK.length * 2;
    const keys = new Uint32Array(cap).fill(0xffffffff);
    const vals = new Int32Array(cap);
    const mask = cap - 1;
    for (let i = 0; i < oldK.length; i++) {
      const k = oldK[i];
      if (k === 0xffffffff) continue;
      let h = Math.imul(k, 0x9e3779b1) >>> 0;
      h = (h ^ (h >>> 15)) & mask;
      while (keys[h] !== 0xffffffff) h = (h + 1) & mask;
      keys[h] = k;
      vals[h] = oldV[i];
    }
    this.hKeys = keys;
    this.hVals = vals;
    this.hMask = mask;
  }

  private heapPush(b: number): void {
    const heap = this.heap;
    const vals = this.bValue;
    const v = vals[b];
    let c = this.heapSize++;
    while (c > 0) {
      const p = (c - 1) >> 1;
      const pb = heap[p];
      if (v < vals[pb]) {
        heap[c] = pb;
        c = p;
      } else break;
    }
    heap[c] = b;
    this.bInHeap[b] = 1;
  }

  private heapPopTop(): void {
    const heap = this.heap;
    const vals = this.bValue;
    this.bInHeap[heap[0]] = 0;
    const n = --this.heapSize;
    if (n === 0) return;
    const b = heap[n];
    const v = vals[b];
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && vals[heap[c + 1]] < vals[heap[c]]) c++;
      if (vals[heap[c]] < v) {
        heap[i] = heap[c];
        i = c;
      } else break;
    }
    heap[i] = b;
  }

  /** Appends `index` with the float32 `value` whose bit pattern is `bits`. */
  push(index: number, value: number, bits: number): void {
    if (bits === 0x80000000) bits = 0; // −0 ≡ +0
    const b = this.bucketOf(bits, value);
    let tc = this.bTailC[b];
    let tp = this.bTailP[b];
    if (tc < 0) {
      tc = this.allocChunk();
      tp = 0;
      this.bHeadC[b] = tc;
      this.bHeadP[b] = 0;
      this.bTailC[b] = tc;
      if (this.bInHeap[b] === 0) this.heapPush(b);
    } else if (tp === CHUNK) {
      const c = this.allocChunk();
      this.chunkNext[tc] = c;
      tc = c;
      tp = 0;
      this.bTailC[b] = tc;
    }
    this.items[tc * CHUNK + tp] = index;
    this.bTailP[b] = tp + 1;
    this.size++;
  }

  /** Removes and returns the oldest index of the smallest value. Queue must be non-empty. */
  pop(): number {
    const b = this.heap[0];
    const hc = this.bHeadC[b];
    const hp = this.bHeadP[b];
    const index = this.items[hc * CHUNK + hp];
    this.size--;
    if (hc === this.bTailC[b] && hp + 1 === this.bTailP[b]) {
      // Bucket drained: recycle its chunk and drop it from the heap.
      this.chunkNext[hc] = this.freeChunk;
      this.freeChunk = hc;
      this.bHeadC[b] = -1;
      this.bTailC[b] = -1;
      this.heapPopTop();
    } else if (hp + 1 === CHUNK) {
      this.bHeadC[b] = this.chunkNext[hc];
      this.bHeadP[b] = 0;
      this.chunkNext[hc] = this.freeChunk;
      this.freeChunk = hc;
    } else this.bHeadP[b] = hp + 1;
    return index;
  }
}
