/**
 * Per-point instance segmentation of a point cloud with the PointNet++ instance model (CPU twins):
 *
 * 1. `prepareCloud`: drop invalid points, align to the support plane, keep the height band, FPS to
 *    the model's input count (deterministic start);
 * 2. `runNetwork`: class probabilities and offsets to the instance centre at the input points;
 * 3. instances at the input points: points whose class is not a background class are shifted by
 *    their offset and grouped on the CPU by the card's method: radius-connected components
 *    (union-find over a grid; DBSCAN core points when `coreNeighbours` > 1) or flat-kernel mean
 *    shift (modes joined at bandwidth / 2); groups smaller than `minPoints` get no instance;
 * 4. every cloud point in the band takes the 3-NN inverse-distance class probabilities of the input
 *    points; a point whose class is an object class takes the instance with the largest summed
 *    3-NN weight among its neighbours that have one. Points outside the band, invalid points and
 *    background-class points get instance 0 (class 0 for invalid / out-of-band points);
 * 5. per-instance class = the majority class of its cloud points, score = their mean probability
 *    of that class.
 */
import type { PointCloud } from '../../formats/pointcloud/types';
import { ArgumentError } from '../../errors';
import type { ThreeNN } from '../interpolate';
import { parsePointNetCard, type PointNetCard } from './card';
import { radiusComponents } from './cluster';
import { meanShiftClusters } from './mean-shift';
import { threeNNGrid } from './knn';
import { runNetwork, type NetworkOutput } from './network';
import { prepareCloud, type PreparedCloud, type PrepareOptions } from './prepare';
import { weightsFromTensors, type NamedTensor, type PointNetWeights } from './weights';

export interface PointNetModel {
  card: PointNetCard;
  weights: PointNetWeights;
}

/** Builds a model from its card (JSON) and named weight tensors. */
export function pointNetModel(cardJson: unknown, get: (name: string) => NamedTensor | undefined): PointNetModel {
  const card = parsePointNetCard(cardJson);
  return { card, weights: weightsFromTensors(card, get) };
}

export interface SegmentPointsOptions {
  /** Clustering radius on the shifted points, metres (default: the card's). */
  clusterRadius?: number;
  /** Smallest instance, in input points (default: the card's). */
  minPoints?: number;
  /** DBSCAN core threshold, neighbours within the radius incl. itself (default: the card's, 1 = plain components). */
  coreNeighbours?: number;
  /** 'components' (radius-connected) or 'meanshift' (bandwidth = clusterRadius); default: the card's. */
  method?: 'components' | 'meanshift';
}

export interface PointInstance {
  id: number;
  classId: number;
  className: string;
  /** Cloud points of the instance. */
  points: number;
  /** Mean probability of `classId` over its points. */
  score: number;
}

export interface PointSegmentation {
  /** Per cloud point, input order: 0 = no instance. */
  instance: Int32Array;
  /** Per cloud point: class id (0 = background). */
  classIds: Int32Array;
  classNames: string[];
  instances: PointInstance[];
  /** Model input points and their instance / class, for diagnostics. */
  sampled: { count: number; instance: Int32Array; classIds: Int32Array };
  frame: PreparedCloud['frame'];
  timings: Record<string, number>;
}

export function prepareOptions(card: PointNetCard): PrepareOptions {
  const nz = card.input.normalisation;
  return { inputPoints: card.input.points, heightBand: nz.heightBand, plane: nz.ransac };
}

export interface ClusterParams { method: 'components' | 'meanshift'; radius: number; minPoints: number; coreNeighbours: number }

export function checkSegmentOptions(card: PointNetCard, opts: SegmentPointsOptions): ClusterParams {
  const radius = opts.clusterRadius ?? card.clustering.radius;
  const minPoints = opts.minPoints ?? card.clustering.minPoints;
  const coreNeighbours = opts.coreNeighbours ?? card.clustering.coreNeighbours ?? 1;
  if (!Number.isInteger(coreNeighbours) || coreNeighbours < 1) throw new ArgumentError(`coreNeighbours must be an integer ≥ 1, got ${coreNeighbours}`, { where: 'segmentPoints.coreNeighbours' });
  if (!(radius > 0) || !Number.isFinite(radius)) throw new ArgumentError(`clusterRadius must be > 0, got ${radius}`, { where: 'segmentPoints.clusterRadius' });
  if (!Number.isInteger(minPoints) || minPoints < 1) throw new ArgumentError(`minPoints must be an integer ≥ 1, got ${minPoints}`, { where: 'segmentPoints.minPoints' });
  const method = opts.method ?? card.clustering.method ?? 'components';
  if (method !== 'components' && method !== 'meanshift') throw new ArgumentError(`method must be 'components' or 'meanshift', got ${String(method)}`, { where: 'segmentPoints.method' });
  return { method, radius, minPoints, coreNeighbours };
}

export function checkCloud(cloud: PointCloud): void {
  if (!cloud || !(cloud.positions instanceof Float32Array) || !Number.isInteger(cloud.count) || cloud.positions.length < 3 * cloud.count) {
    throw new ArgumentError('cloud must be a PointCloud (positions Float32Array of length 3·count)', { where: 'segmentPoints.cloud' });
  }
}

/**
 * Step 3's common part: per input point the class (argmax, ties to the lowest class), the object
 * (non-background) points and their positions shifted by the predicted offsets (f32).
 */
export function shiftedObjectPoints(card: PointNetCard, prep: PreparedCloud, net: NetworkOutput): { classIds: Int32Array; objIdx: number[]; shifted: Float32Array } {
  const n = prep.nInput, C = net.classes;
  const bg = new Set(card.backgroundClasses);
  const classIds = new Int32Array(n);
  const objIdx: number[] = [];
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (net.probs[i * C + c] > net.probs[i * C + best]) best = c;
    classIds[i] = best;
    if (!bg.has(best)) objIdx.push(i);
  }
  const shifted = new Float32Array(3 * objIdx.length);
  objIdx.forEach((i, j) => {
    for (let a = 0; a < 3; a++) shifted[3 * j + a] = prep.input[3 * i + a] + net.offsets[3 * i + a];
  });
  return { classIds, objIdx, shifted };
}

/** Instance id per input point from the cluster label of each object point. */
export function instancesOfObjects(n: number, objIdx: number[], labels: Int32Array): Int32Array {
  const instance = new Int32Array(n);
  objIdx.forEach((i, j) => (instance[i] = labels[j]));
  return instance;
}

/** Step 3: instances at the input points (clustering on the CPU). */
export function sampleInstances(card: PointNetCard, prep: PreparedCloud, net: NetworkOutput, cp: ClusterParams): { instance: Int32Array; classIds: Int32Array } {
  const { classIds, objIdx, shifted } = shiftedObjectPoints(card, prep, net);
  const { labels } = cp.method === 'meanshift'
    ? meanShiftClusters(shifted, objIdx.length, cp.radius, cp.minPoints)
    : radiusComponents(shifted, objIdx.length, cp.radius, cp.minPoints, cp.coreNeighbours);
  return { instance: instancesOfObjects(prep.nInput, objIdx, labels), classIds };
}

/** Steps 4–5, given the 3-NN of the band points among the input points. */
export function propagate(card: PointNetCard, prep: PreparedCloud, net: NetworkOutput, sample: { instance: Int32Array }, nn: ThreeNN): Pick<PointSegmentation, 'instance' | 'classIds' | 'instances' | 'classNames'> {
  const C = net.classes;
  const bg = new Set(card.backgroundClasses);
  const instance = new Int32Array(prep.count);
  const classIds = new Int32Array(prep.count);
  const nb = prep.bandIndex.length;
  const probs = new Float64Array(C);
  const pointProb = new Float32Array(prep.count);
  for (let j = 0; j < nb; j++) {
    const w0 = 1 / (nn.dist2[3 * j] + 1e-8), w1 = 1 / (nn.dist2[3 * j + 1] + 1e-8), w2 = 1 / (nn.dist2[3 * j + 2] + 1e-8);
    const s = w0 + w1 + w2;
    const ws = [w0 / s, w1 / s, w2 / s];
    probs.fill(0);
    for (let k = 0; k < 3; k++) {
      const q = nn.idx[3 * j + k];
      for (let c = 0; c < C; c++) probs[c] += ws[k] * net.probs[q * C + c];
    }
    let best = 0;
    for (let c = 1; c < C; c++) if (probs[c] > probs[best]) best = c;
    const ci = prep.validIndex[prep.bandIndex[j]];
    classIds[ci] = best;
    pointProb[ci] = probs[best];
    if (bg.has(best)) continue;
    // the instance with the largest summed weight (ties: the neighbour listed first)
    let inst = 0, wBest = 0;
    for (let k = 0; k < 3; k++) {
      const id = sample.instance[nn.idx[3 * j + k]];
      if (id === 0) continue;
      let w = 0;
      for (let kk = 0; kk < 3; kk++) if (sample.instance[nn.idx[3 * j + kk]] === id) w += ws[kk];
      if (w > wBest) { wBest = w; inst = id; }
    }
    instance[ci] = inst;
  }
  // per-instance class (majority) and score (mean probability of that class)
  const maxId = instance.reduce((a, b) => Math.max(a, b), 0);
  const votes = new Float64Array((maxId + 1) * C);
  for (let i = 0; i < prep.count; i++) if (instance[i] > 0) votes[instance[i] * C + classIds[i]]++;
  const instClass = new Int32Array(maxId + 1);
  for (let id = 1; id <= maxId; id++) {
    let b = 0;
    for (let c = 1; c < C; c++) if (votes[id * C + c] > votes[id * C + b]) b = c;
    instClass[id] = b;
  }
  const sum = new Float64Array(maxId + 1), cnt = new Int32Array(maxId + 1);
  for (let j = 0; j < nb; j++) {
    const ci = prep.validIndex[prep.bandIndex[j]];
    const id = instance[ci];
    if (!id) continue;
    cnt[id]++;
    const q = nn.idx[3 * j];
    // probability of the instance's class at this point (3-NN interpolated)
    let p = 0;
    const w0 = 1 / (nn.dist2[3 * j] + 1e-8), w1 = 1 / (nn.dist2[3 * j + 1] + 1e-8), w2 = 1 / (nn.dist2[3 * j + 2] + 1e-8);
    const s = w0 + w1 + w2;
    p = (w0 * net.probs[q * C + instClass[id]] + w1 * net.probs[nn.idx[3 * j + 1] * C + instClass[id]] + w2 * net.probs[nn.idx[3 * j + 2] * C + instClass[id]]) / s;
    sum[id] += p;
  }
  // renumber 1..K in order of first appearance (ids whose points all went elsewhere disappear)
  const newId = new Int32Array(maxId + 1);
  let next = 0;
  for (let i = 0; i < prep.count; i++) if (instance[i] > 0 && newId[instance[i]] === 0) newId[instance[i]] = ++next;
  const instances: PointInstance[] = [];
  for (let id = 1; id <= maxId; id++) {
    if (!newId[id]) continue;
    instances.push({ id: newId[id], classId: instClass[id], className: card.classes[instClass[id]] ?? `class ${instClass[id]}`, points: cnt[id], score: sum[id] / cnt[id] });
  }
  instances.sort((a, b) => a.id - b.id);
  for (let i = 0; i < prep.count; i++) if (instance[i] > 0) instance[i] = newId[instance[i]];
  return { instance, classIds, instances, classNames: card.classes.slice() };
}

/** Band points as xyz [nBand, 3] (aligned frame). */
export function bandPoints(prep: PreparedCloud): Float32Array {
  const nb = prep.bandIndex.length;
  const out = new Float32Array(3 * nb);
  for (let j = 0; j < nb; j++) out.set(prep.aligned.subarray(3 * prep.bandIndex[j], 3 * prep.bandIndex[j] + 3), 3 * j);
  return out;
}

/** Per-stage wall times: `lap(name)` records the time since the previous lap (or the start). */
export function stageTimer(): { timings: Record<string, number>; lap: (stage: string) => void } {
  const timings: Record<string, number> = {};
  let t = performance.now();
  return {
    timings,
    lap: (stage) => {
      const now = performance.now();
      timings[stage] = now - t;
      t = now;
    },
  };
}

/** The whole pipeline on the CPU twins. */
export function segmentPoints(cloud: PointCloud, model: PointNetModel, opts: SegmentPointsOptions = {}): PointSegmentation {
  checkCloud(cloud);
  const cp = checkSegmentOptions(model.card, opts);
  const { timings, lap } = stageTimer();
  const prep = prepareCloud(cloud, prepareOptions(model.card));
  lap('prepare');
  const net = runNetwork(model.card, model.weights, prep.input, prep.nInput);
  lap('network');
  const sample = sampleInstances(model.card, prep, net, cp);
  lap('cluster');
  const band = bandPoints(prep);
  const nn = threeNNGrid(band, band.length / 3, prep.input, prep.nInput);
  const out = propagate(model.card, prep, net, sample, nn);
  lap('propagate');
  return { ...out, sampled: { count: prep.nInput, instance: sample.instance, classIds: sample.classIds }, frame: prep.frame, timings };
}
