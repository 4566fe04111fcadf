/// <reference types="@webgpu/types" />
/**
 * `segmentPointsGpu`: the GPU version of `lib/pointnet/model/segment.ts` `segmentPoints`. On the GPU:
 * the input FPS (fpsGpu), the network (runNetworkGpu), the mean-shift iterations of the shifted
 * object points when the card (or `opts.method`) selects mean shift (meanShiftClustersGpu; the
 * merge of the modes is the twin's `radiusComponents`, on the CPU) and the 3-NN of every band point
 * among the input points (threeInterpolateGpu). On the CPU, shared with the twin: support-plane fit,
 * height band, radius-connected components when selected, and the label propagation — so the two
 * paths differ only where the network's f32 sums (and the mean-shift f32 sums) do.
 */
import type { PointCloud } from '../../../lib/formats/pointcloud/types';
import { prepareBand, selectInput } from '../../../lib/pointnet/model/prepare';
import {
  bandPoints, checkCloud, checkSegmentOptions, prepareOptions, propagate, sampleInstances, stageTimer, shiftedObjectPoints, instancesOfObjects,
  type PointNetModel, type PointSegmentation, type SegmentPointsOptions,
} from '../../../lib/pointnet/model/segment';
import type { PointNetCard } from '../../../lib/pointnet/model/card';
import type { NetworkOutput } from '../../../lib/pointnet/model/network';
import type { PreparedCloud } from '../../../lib/pointnet/model/prepare';
import type { ClusterParams } from '../../../lib/pointnet/model/segment';
import type { GpuContext } from '../../runtime/device';
import { fpsGpu } from '../fps/fps';
import { threeInterpolateGpu } from '../interpolate/interpolate';
import { meanShiftClustersGpu } from '../mean-shift/mean-shift';
import { runNetworkGpu } from './network-gpu';

export async function segmentPointsGpu(ctx: GpuContext, cloud: PointCloud, model: PointNetModel, opts: SegmentPointsOptions = {}): Promise<PointSegmentation> {
  checkCloud(cloud);
  const cp = checkSegmentOptions(model.card, opts);
  const { timings, lap } = stageTimer();
  const band = prepareBand(cloud, prepareOptions(model.card));
  const sel = await fpsGpu(ctx, band.bandPoints, band.bandPoints.length / 3, band.inputCount, 0);
  const prep = selectInput(band, sel);
  lap('prepare');
  const net = await runNetworkGpu(ctx, model.card, model.weights, prep.input, prep.nInput);
  lap('network');
  const sample = cp.method === 'meanshift' ? await sampleInstancesMeanShiftGpu(ctx, model.card, prep, net, cp) : sampleInstances(model.card, prep, net, cp);
  lap('cluster');
  const pts = bandPoints(prep);
  const nn = await threeInterpolateGpu(ctx, pts, pts.length / 3, prep.input, prep.nInput, net.probs, net.classes);
  const out = propagate(model.card, prep, net, sample, nn);
  lap('propagate');
  return { ...out, sampled: { count: prep.nInput, instance: sample.instance, classIds: sample.classIds }, frame: prep.frame, timings };
}


/**
 * `sampleInstances` (step 3) with the mean-shift iterations on the GPU: the same per-point class
 * (argmax, ties to the lowest class), the same object points shifted by their offsets (f32), then
 * `meanShiftClustersGpu` with bandwidth = the cluster radius.
 */
async function sampleInstancesMeanShiftGpu(ctx: GpuContext, card: PointNetCard, prep: PreparedCloud, net: NetworkOutput, cp: ClusterParams): Promise<{ instance: Int32Array; classIds: Int32Array }> {
  const { classIds, objIdx, shifted } = shiftedObjectPoints(card, prep, net);
  const { labels } = await meanShiftClustersGpu(ctx, shifted, objIdx.length, cp.radius, cp.minPoints);
  return { instance: instancesOfObjects(prep.nInput, objIdx, labels), classIds };
}
