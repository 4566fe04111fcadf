/**
 * Column sink shared by the PLY, PCD and text readers: given per-point property specs, allocates the
 * PointCloud arrays once (callers check counts against the bytes present first) and hands out one
 * setter per column.
 */
import { FormatError } from '../../errors';
import { propertyRole, toByte, type PropertyRole } from './common';
import { finishCloud, type PointCloud } from './types';

export interface ColumnSpec {
  /** Name as in the file. */
  name: string;
  /** Stored as floating point (float labels are kept as labels only when every value is an integer). */
  isFloat: boolean;
  /** Unsigned 32-bit or wider integers: extras become Float32Array instead of Int32Array. */
  wide?: boolean;
  /** Colour channels: multiply by this to get 0..255; 'auto' = ×255 when every value is in [0,1] and some are fractional. */
  colorScale?: number | 'auto';
  /** Override the role derived from the name. */
  role?: PropertyRole;
}

export type Setter = (i: number, v: number) => void;

const noop: Setter = () => {};

export class CloudBuilder {
  readonly count: number;
  readonly setters: Setter[];
  private readonly positions: Float32Array;
  private normals?: Float32Array;
  private colorsF?: Float32Array;
  private colorScales: (number | 'auto')[] = [1, 1, 1];
  private intensity?: Float32Array;
  private readonly labels: { [name: string]: Int32Array } = {};
  private readonly floatLabels: { [name: string]: Float32Array } = {};
  private readonly extra: { [name: string]: Float32Array | Int32Array } = {};

  constructor(count: number, specs: ColumnSpec[], where: string) {
    this.count = count;
    const roles = specs.map((s) => s.role ?? propertyRole(s.name));
    const has = (k: string) => roles.some((r) => r.kind === k);
    for (const axis of ['x', 'y', 'z']) {
      if (!has(axis)) {
        throw new FormatError(`no "${axis}" property: cannot place the points`, {
          where,
          hint: 'The file must have x, y and z per point (names: x y z).',
        });
      }
    }
    const hasNormals = has('nx') && has('ny') && has('nz');
    const hasColors = has('r') && has('g') && has('b');
    this.positions = new Float32Array(count * 3);
    if (hasNormals) this.normals = new Float32Array(count * 3);
    if (hasColors) this.colorsF = new Float32Array(count * 3);
    const seen = new Set<string>();
    this.setters = specs.map((spec, k) => {
      let role = roles[k];
      // duplicate core roles (second "x", or normals/colours incomplete) fall back to extras
      if (role.kind !== 'label' && role.kind !== 'extra') {
        const incomplete =
          ((role.kind === 'nx' || role.kind === 'ny' || role.kind === 'nz') && !hasNormals) ||
          ((role.kind === 'r' || role.kind === 'g' || role.kind === 'b') && !hasColors);
        if (seen.has(role.kind) || incomplete) role = { kind: 'extra', name: spec.name };
        else seen.add(role.kind);
      }
      return this.makeSetter(spec, role);
    });
  }

  private makeSetter(spec: ColumnSpec, role: PropertyRole): Setter {
    const { positions } = this;
    switch (role.kind) {
      case 'x': return (i, v) => { positions[3 * i] = v; };
      case 'y': return (i, v) => { positions[3 * i + 1] = v; };
      case 'z': return (i, v) => { positions[3 * i + 2] = v; };
      case 'nx': case 'ny': case 'nz': {
        const n = this.normals as Float32Array;
        const o = role.kind === 'nx' ? 0 : role.kind === 'ny' ? 1 : 2;
        return (i, v) => { n[3 * i + o] = v; };
      }
      case 'r': case 'g': case 'b': {
        const c = this.colorsF as Float32Array;
        const o = role.kind === 'r' ? 0 : role.kind === 'g' ? 1 : 2;
        this.colorScales[o] = spec.colorScale ?? (spec.isFloat ? 255 : 1);
        return (i, v) => { c[3 * i + o] = v; };
      }
      case 'intensity': {
        if (this.intensity) return this.extraSetter(spec, spec.name);
        const a = (this.intensity = new Float32Array(this.count));
        return (i, v) => { a[i] = v; };
      }
      case 'label': {
        if (this.labels[role.name] || this.floatLabels[role.name]) return this.extraSetter(spec, spec.name);
        if (spec.isFloat) {
          const a = (this.floatLabels[role.name] = new Float32Array(this.count));
          return (i, v) => { a[i] = v; };
        }
        const a = (this.labels[role.name] = new Int32Array(this.count));
        return (i, v) => { a[i] = v; }; // uint32 above 2^31 wraps, keeping its bits
      }
      case 'extra':
        return this.extraSetter(spec, role.name);
    }
  }

  private extraSetter(spec: ColumnSpec, name: string): Setter {
    if (this.extra[name]) return noop; // duplicate property names: first one wins
    const a = spec.isFloat || spec.wide ? new Float32Array(this.count) : new Int32Array(this.count);
    this.extra[name] = a;
    return (i, v) => { a[i] = v; };
  }

  finish(organized?: { width: number; height: number }): PointCloud {
    let colors: Uint8Array | undefined;
    if (this.colorsF) {
      const cf = this.colorsF;
      const scales = this.colorScales.map((s) => {
        if (s !== 'auto') return s;
        let max = 0;
        let fractional = false;
        for (let i = 0; i < cf.length; i++) {
          const v = cf[i];
          if (v > max) max = v;
          if (v !== Math.floor(v)) fractional = true;
        }
        return max <= 1 && fractional ? 255 : 1;
      });
      colors = new Uint8Array(cf.length);
      for (let i = 0; i < cf.length; i++) colors[i] = toByte(cf[i] * scales[i % 3]);
    }
    const labels = this.labels;
    for (const [name, a] of Object.entries(this.floatLabels)) {
      let integral = true;
      for (let i = 0; i < a.length && integral; i++) {
        const v = a[i];
        if (!Number.isInteger(v) || v < -2147483648 || v > 2147483647) integral = false;
      }
      if (integral) labels[name] = Int32Array.from(a);
      else if (!this.extra[name]) this.extra[name] = a;
    }
    return finishCloud({
      positions: this.positions,
      count: this.count,
      colors,
      normals: this.normals,
      intensity: this.intensity,
      labels,
      organized,
      extra: this.extra,
    });
  }
}
