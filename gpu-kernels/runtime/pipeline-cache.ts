/// <reference types="@webgpu/types" />
/**
 * Compute-pipeline cache keyed by what specialises a shader: the WGSL text (which already has
 * workgroup size and other compile-time constants injected), the entry point and any pipeline
 * `override` constants. Compile errors surface as `GpuShaderError` with the compiler's messages.
 */
import { GpuShaderError } from './errors';

export interface PipelineSpec {
  /** Complete WGSL source. */
  code: string;
  /** Entry point; default 'main'. */
  entryPoint?: string;
  /** Values for WGSL `override` declarations. */
  constants?: Record<string, number>;
  /** Debug label (kernel name). */
  label?: string;
}

export function pipelineKey(spec: PipelineSpec): string {
  const c = spec.constants ? Object.keys(spec.constants).sort().map((k) => `${k}=${spec.constants![k]}`).join(',') : '';
  return `${spec.entryPoint ?? 'main'}\u0000${c}\u0000${spec.code}`;
}

export class PipelineCache {
  private readonly modules = new Map<string, Promise<GPUShaderModule>>();
  private readonly pipelines = new Map<string, Promise<GPUComputePipeline>>();
  /** Number of pipelines compiled (cache misses), for tests and diagnostics. */
  compiled = 0;

  constructor(private readonly device: GPUDevice) {}

  get size(): number {
    return this.pipelines.size;
  }

  get(spec: PipelineSpec): Promise<GPUComputePipeline> {
    const key = pipelineKey(spec);
    let p = this.pipelines.get(key);
    if (!p) {
      p = this.build(spec);
      this.pipelines.set(key, p);
      // A failed build must not poison the cache.
      p.catch(() => this.pipelines.delete(key));
    }
    return p;
  }

  private module(code: string, label: string): Promise<GPUShaderModule> {
    let m = this.modules.get(code);
    if (!m) {
      m = (async () => {
        const module = this.device.createShaderModule({ code, label });
        const info = await module.getCompilationInfo();
        const errors = info.messages.filter((msg) => msg.type === 'error');
        if (errors.length > 0) {
          const lines = errors.map((e) => `${e.lineNum}:${e.linePos} ${e.message}`);
          throw new GpuShaderError(`WGSL compilation failed for ${label}: ${lines[0]}`, lines, { where: label });
        }
        return module;
      })();
      this.modules.set(code, m);
      m.catch(() => this.modules.delete(code));
    }
    return m;
  }

  private async build(spec: PipelineSpec): Promise<GPUComputePipeline> {
    const label = spec.label ?? 'kernel';
    const module = await this.module(spec.code, label);
    this.device.pushErrorScope('validation');
    const pipeline = this.device.createComputePipeline({
      label,
      layout: 'auto',
      compute: { module, entryPoint: spec.entryPoint ?? 'main', constants: spec.constants },
    });
    const err = await this.device.popErrorScope();
    if (err) throw new GpuShaderError(`pipeline creation failed for ${label}: ${err.message}`, [err.message], { where: label });
    this.compiled++;
    return pipeline;
  }
}
