/// <reference types="@webgpu/types" />
/**
 * Buffer pool: buffers are reused by (usage, size class). Size classes are 2^k·{1, 1.25, 1.5, 1.75}
 * (≤ 25 % waste), at least 256 bytes, and never above the device's `maxBufferSize`.
 *
 * Releasing a buffer right after `queue.submit` is safe: later writes and dispatches on the same
 * queue are ordered after the work that used it.
 */
import { GpuLimitsError } from './errors';

export function sizeClass(bytes: number, maxBufferSize: number): number {
  const b = Math.max(256, Math.ceil(bytes / 4) * 4);
  const p = 2 ** Math.floor(Math.log2(b));
  let c = p;
  for (const f of [1, 1.25, 1.5, 1.75, 2]) {
    c = p * f;
    if (c >= b) break;
  }
  return Math.min(c, Math.max(b, Math.floor(maxBufferSize / 4) * 4));
}

export class BufferPool {
  private readonly free = new Map<string, GPUBuffer[]>();
  private readonly owned = new WeakMap<GPUBuffer, string>();
  private pooledBytes = 0;
  /** Buffers created (pool misses), for tests and diagnostics. */
  created = 0;

  constructor(
    private readonly device: GPUDevice,
    private readonly maxBufferSize: number,
    /** Bytes kept in free lists at most; the rest is destroyed on release. */
    private readonly maxPooledBytes = 512 * 1024 * 1024,
  ) {}

  acquire(bytes: number, usage: GPUBufferUsageFlags, label?: string): GPUBuffer {
    if (bytes > this.maxBufferSize) {
      throw new GpuLimitsError(`buffer of ${bytes} bytes exceeds maxBufferSize ${this.maxBufferSize}`, { where: label ?? 'BufferPool.acquire' });
    }
    const size = sizeClass(bytes, this.maxBufferSize);
    const key = `${usage}:${size}`;
    const list = this.free.get(key);
    const hit = list?.pop();
    if (hit) {
      this.pooledBytes -= size;
      return hit;
    }
    const buf = this.device.createBuffer({ size, usage, label });
    this.created++;
    this.owned.set(buf, key);
    return buf;
  }

  release(buf: GPUBuffer): void {
    const key = this.owned.get(buf);
    if (key === undefined || buf.mapState !== 'unmapped' || this.pooledBytes + buf.size > this.maxPooledBytes) {
      buf.destroy();
      return;
    }
    let list = this.free.get(key);
    if (!list) this.free.set(key, (list = []));
    if (list.includes(buf)) return;
    list.push(buf);
    this.pooledBytes += buf.size;
  }

  /** Destroys every pooled (free) buffer. */
  clear(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.free.clear();
    this.pooledBytes = 0;
  }

  get bytesPooled(): number {
    return this.pooledBytes;
  }
}
