/**
 * A port of numpy 1.24's default `np.argsort` (kind='quicksort': introsort with median-of-3
 * partitioning, insertion sort for runs of at most 16 elements (`pr - pl <= 15`, verified against this numpy build), heapsort past the depth limit) for float keys.
 * The sort is not stable; porting it exactly reproduces numpy's order among equal keys, which
 * `skimage.feature.peak_local_max` depends on (it keeps the first of equal peaks in this order).
 */

const SMALL_QUICKSORT = 15;

/** numpy's float `less`: NaNs sort last. */
function less(a: number, b: number): boolean {
  return a < b || (b !== b && a === a);
}

/** Index of the most significant set bit (numpy's npy_get_msb). */
function msb(n: number): number {
  let depth = 0;
  while ((n >>>= 1) > 0) depth++;
  return depth;
}

/** numpy's aheapsort on tosort[lo..lo+n). */
function aheapsort(v: ArrayLike<number>, tosort: Int32Array, lo: number, n: number): void {
  // 1-based heap over a[1..n] = tosort[lo .. lo+n-1].
  const a = (k: number): number => tosort[lo + k - 1];
  const set = (k: number, val: number): void => {
    tosort[lo + k - 1] = val;
  };
  for (let l = n >> 1; l > 0; --l) {
    const tmp = a(l);
    let i = l;
    let j = l << 1;
    while (j <= n) {
      if (j < n && less(v[a(j)], v[a(j + 1)])) j += 1;
      if (less(v[tmp], v[a(j)])) {
        set(i, a(j));
        i = j;
        j += j;
      } else break;
    }
    set(i, tmp);
  }
  while (n > 1) {
    const tmp = a(n);
    set(n, a(1));
    n -= 1;
    let i = 1;
    let j = 2;
    while (j <= n) {
      if (j < n && less(v[a(j)], v[a(j + 1)])) j++;
      if (less(v[tmp], v[a(j)])) {
        set(i, a(j));
        i = j;
        j += j;
      } else break;
    }
    set(i, tmp);
  }
}

/**
 * Returns the permutation numpy 1.24 `np.argsort(v)` (default kind) returns for this float array.
 * `v` is not modified.
 */
export function numpyArgsort(v: Float32Array | Float64Array): Int32Array {
  const num = v.length;
  const tosort = new Int32Array(num);
  for (let i = 0; i < num; i++) tosort[i] = i;
  if (num < 2) return tosort;
  let pl = 0;
  let pr = num - 1;
  const stack: number[] = [];
  const depthStack: number[] = [];
  let cdepth = msb(num) * 2;
  for (;;) {
    let sorted = false;
    if (cdepth < 0) {
      aheapsort(v, tosort, pl, pr - pl + 1);
      sorted = true;
    } else {
      while (pr - pl > SMALL_QUICKSORT) {
        const pm = pl + ((pr - pl) >> 1);
        let t: number;
        if (less(v[tosort[pm]], v[tosort[pl]])) {
          t = tosort[pm]; tosort[pm] = tosort[pl]; tosort[pl] = t;
        }
        if (less(v[tosort[pr]], v[tosort[pm]])) {
          t = tosort[pr]; tosort[pr] = tosort[pm]; tosort[pm] = t;
        }
        if (less(v[tosort[pm]], v[tosort[pl]])) {
          t = tosort[pm]; tosort[pm] = tosort[pl]; tosort[pl] = t;
        }
        const vp = v[tosort[pm]];
        let pi = pl;
        let pj = pr - 1;
        t = tosort[pm]; tosort[pm] = tosort[pj]; tosort[pj] = t;
        for (;;) {
          do ++pi; while (less(v[tosort[pi]], vp));
          do --pj; while (less(vp, v[tosort[pj]]));
          if (pi >= pj) break;
          t = tosort[pi]; tosort[pi] = tosort[pj]; tosort[pj] = t;
        }
        const pk = pr - 1;
        t = tosort[pi]; tosort[pi] = tosort[pk]; tosort[pk] = t;
        // Push the larger partition on the stack, continue with the smaller.
        if (pi - pl < pr - pi) {
          stack.push(pi + 1, pr);
          pr = pi - 1;
        } else {
          stack.push(pl, pi - 1);
          pl = pi + 1;
        }
        depthStack.push(--cdepth);
      }
    }
    if (!sorted) {
      // Insertion sort.
      for (let pi = pl + 1; pi <= pr; ++pi) {
        const vi = tosort[pi];
        const vp = v[vi];
        let pj = pi;
        let pk = pi - 1;
        while (pj > pl && less(vp, v[tosort[pk]])) tosort[pj--] = tosort[pk--];
        tosort[pj] = vi;
      }
    }
    if (stack.length === 0) break;
    pr = stack.pop() as number;
    pl = stack.pop() as number;
    cdepth = depthStack.pop() as number;
  }
  return tosort;
}
