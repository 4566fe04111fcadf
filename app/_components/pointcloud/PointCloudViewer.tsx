'use client';
/**
 * three.js point-cloud viewer: one THREE.Points (one draw call) over a BufferGeometry of the valid
 * points (NaN / no-return points are left out), per-point colours as a normalised Uint8 attribute,
 * hidden instances left out through an index buffer, orbit / pan / zoom by OrbitControls, and a
 * click (press and release without dragging) picks the nearest point under the cursor with
 * THREE.Raycaster (params.Points.threshold ≈ a few pixels at the orbit target, clamped to
 * 0.02 %–2 % of the cloud's diagonal) and reports its instance. Renders on demand only.
 *
 * Load it with next/dynamic `{ ssr: false }` (three touches WebGL).
 *
 * Test hook (read-only, documented for tests/e2e/pages/PointCloudPage.ts):
 * `window.__tesseraPointCloud = { ready, points, valid, drawn, selected, colourMode, pointSize,
 * hidden, renders, pickScreen(x, y), project(xyz), cameraPosition(), target() }` —
 * `points`: points in the file; `valid`: points with finite xyz; `drawn`: points the last frame
 * drew (renderer.info.render.points); `pickScreen(clientX, clientY)`: the instance id a click there
 * would select (null: background / no point), without selecting; `project([x,y,z])`: client
 * (page) pixel coordinates of a world point, null when behind the camera.
 */
import { useEffect, useRef } from 'react';
import * as THREE from 'three';
import { OrbitControls } from 'three/examples/jsm/controls/OrbitControls.js';
import type { PointsPayload } from '@/lib/formats/pointcloud/points-format';
import { fillColours, validPointIndices, visibleIndex, type ColourMode, type UpAxis } from './colours';

export type Vec3 = [number, number, number];

export interface PointCloudViewerProps {
  data: PointsPayload;
  colourMode: ColourMode;
  /** Point size in screen pixels. */
  pointSize: number;
  selected: number | null;
  hidden: ReadonlySet<number>;
  up: UpAxis;
  /** Move the orbit target (and the camera with it) to `target`; `seq` re-triggers the same point. */
  focus: { target: Vec3; seq: number } | null;
  onPick: (instance: number | null) => void;
}

export interface PointCloudTestHook {
  ready: boolean;
  points: number;
  valid: number;
  drawn: number;
  selected: number | null;
  colourMode: ColourMode;
  pointSize: number;
  hidden: number[];
  renders: number;
  pickScreen(clientX: number, clientY: number): number | null;
  project(p: Vec3): [number, number] | null;
  cameraPosition(): Vec3;
  target(): Vec3;
}

declare global {
  interface Window {
    __tesseraPointCloud?: PointCloudTestHook;
  }
}

interface Stage {
  renderer: THREE.WebGLRenderer;
  camera: THREE.PerspectiveCamera;
  controls: OrbitControls;
  scene: THREE.Scene;
  geometry: THREE.BufferGeometry;
  material: THREE.PointsMaterial;
  points: THREE.Points;
  colours: THREE.BufferAttribute;
  /** drawn point k → point index in the file. */
  drawnIdx: Uint32Array;
  diag: number;
  requestRender: () => void;
  pick: (clientX: number, clientY: number) => number | null;
}

const UP: Record<UpAxis, THREE.Vector3> = {
  z: new THREE.Vector3(0, 0, 1),
  y: new THREE.Vector3(0, 1, 0),
  '-y': new THREE.Vector3(0, -1, 0),
};
/** Initial view direction (from the target towards the camera) per up axis. */
const VIEW: Record<UpAxis, THREE.Vector3> = {
  z: new THREE.Vector3(0.55, -1.2, 0.9).normalize(),
  y: new THREE.Vector3(0.55, 0.9, 1.2).normalize(),
  '-y': new THREE.Vector3(0.15, -0.35, -1).normalize(),
};

/**
 * Where the camera first looks: the labelled instances when there are some (at least 50 points and
 * 0.5 % of the cloud: a scene's objects rather than its floor), else the whole cloud.
 */
function initialFrame(data: PointsPayload, drawn: Uint32Array): { centre: THREE.Vector3; radius: number } {
  const inst = data.instance;
  if (inst) {
    let k = 0;
    const labelled = new Uint32Array(drawn.length);
    for (let j = 0; j < drawn.length; j++) if (inst[drawn[j]] > 0) labelled[k++] = drawn[j];
    if (k >= 50 && k >= 0.005 * drawn.length) {
      const f = robustFrame(data.positions, labelled.subarray(0, k));
      return { centre: f.centre, radius: f.radius * 1.25 };
    }
  }
  return robustFrame(data.positions, drawn);
}

/** Centre and radius of the bulk of the points (2nd–98th percentile per axis over a sample). */
function robustFrame(positions: Float32Array, drawn: Uint32Array): { centre: THREE.Vector3; radius: number } {
  const step = Math.max(1, Math.floor(drawn.length / 20000));
  const axes: number[][] = [[], [], []];
  for (let k = 0; k < drawn.length; k += step) {
    const i = drawn[k];
    axes[0].push(positions[3 * i]);
    axes[1].push(positions[3 * i + 1]);
    axes[2].push(positions[3 * i + 2]);
  }
  const lo: number[] = [];
  const hi: number[] = [];
  for (const a of axes) {
    a.sort((x, y) => x - y);
    lo.push(a.length ? a[Math.floor(0.02 * (a.length - 1))] : 0);
    hi.push(a.length ? a[Math.ceil(0.98 * (a.length - 1))] : 0);
  }
  const centre = new THREE.Vector3((lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, (lo[2] + hi[2]) / 2);
  const radius = Math.max(1e-6, 0.5 * Math.hypot(hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]));
  return { centre, radius };
}

export default function PointCloudViewer(props: PointCloudViewerProps) {
  const wrapRef = useRef<HTMLDivElement>(null);
  const stageRef = useRef<Stage | null>(null);
  const propsRef = useRef(props);
  propsRef.current = props;
  const { data, colourMode, pointSize, selected, hidden, up, focus } = props;

  // Build the scene for this cloud (and up axis).
  useEffect(() => {
    const wrap = wrapRef.current;
    if (!wrap) return;
    const drawnIdx = validPointIndices(data.positions);
    const m = drawnIdx.length;
    const pos = new Float32Array(3 * m);
    for (let k = 0; k < m; k++) {
      const i = drawnIdx[k];
      pos[3 * k] = data.positions[3 * i];
      pos[3 * k + 1] = data.positions[3 * i + 1];
      pos[3 * k + 2] = data.positions[3 * i + 2];
    }
    const geometry = new THREE.BufferGeometry();
    geometry.setAttribute('position', new THREE.BufferAttribute(pos, 3));
    const colours = new THREE.BufferAttribute(new Uint8Array(3 * m), 3, true);
    geometry.setAttribute('color', colours);
    geometry.computeBoundingSphere();
    geometry.computeBoundingBox();
    const box = geometry.boundingBox ?? new THREE.Box3();
    const diag = Math.max(1e-6, box.min.distanceTo(box.max));

    const material = new THREE.PointsMaterial({ size: propsRef.current.pointSize, sizeAttenuation: false, vertexColors: true });
    const points = new THREE.Points(geometry, material);
    const scene = new THREE.Scene();
    // Colours are display (sRGB) bytes drawn as they are: no colour-space conversion on output, so
    // a palette colour lands on the canvas exactly (tests count those pixels).
    scene.background = new THREE.Color().setRGB(11 / 255, 15 / 255, 23 / 255, THREE.LinearSRGBColorSpace);
    scene.add(points);

    const renderer = new THREE.WebGLRenderer({ antialias: false, preserveDrawingBuffer: true });
    renderer.outputColorSpace = THREE.LinearSRGBColorSpace;
    renderer.setPixelRatio(Math.min(2, window.devicePixelRatio || 1));
    renderer.domElement.setAttribute('data-testid', 'pc-canvas');
    renderer.domElement.style.display = 'block';
    renderer.domElement.style.width = '100%';
    renderer.domElement.style.height = '100%';
    renderer.domElement.style.outline = 'none';
    renderer.domElement.tabIndex = 0;
    wrap.appendChild(renderer.domElement);

    const { centre, radius } = initialFrame(data, drawnIdx);
    const camera = new THREE.PerspectiveCamera(50, 1, Math.max(diag * 1e-4, 1e-6), diag * 50 + radius * 10);
    camera.up.copy(UP[up]);
    camera.position.copy(centre).addScaledVector(VIEW[up], radius * 2.4);
    camera.lookAt(centre);
    const controls = new OrbitControls(camera, renderer.domElement);
    controls.target.copy(centre);
    controls.screenSpacePanning = true;
    controls.update();

    let frame = 0;
    let renders = 0;
    const hook: PointCloudTestHook = {
      ready: false,
      points: data.count,
      valid: m,
      drawn: 0,
      selected: propsRef.current.selected,
      colourMode: propsRef.current.colourMode,
      pointSize: propsRef.current.pointSize,
      hidden: [],
      renders: 0,
      pickScreen: (x, y) => pick(x, y),
      project: (p) => {
        const rect = renderer.domElement.getBoundingClientRect();
        const v = new THREE.Vector3(p[0], p[1], p[2]).project(camera);
        if (!(v.z >= -1 && v.z <= 1)) return null;
        return [rect.left + ((v.x + 1) / 2) * rect.width, rect.top + ((1 - v.y) / 2) * rect.height];
      },
      cameraPosition: () => camera.position.toArray() as Vec3,
      target: () => controls.target.toArray() as Vec3,
    };
    const render = () => {
      frame = 0;
      renderer.render(scene, camera);
      renders++;
      const p = propsRef.current;
      Object.assign(hook, {
        ready: true,
        drawn: renderer.info.render.points,
        renders,
        selected: p.selected,
        colourMode: p.colourMode,
        pointSize: p.pointSize,
        hidden: [...p.hidden].sort((a, b) => a - b),
      });
    };
    const requestRender = () => {
      if (!frame) frame = requestAnimationFrame(render);
    };

    const raycaster = new THREE.Raycaster();
    const ndc = new THREE.Vector2();
    const pick = (clientX: number, clientY: number): number | null => {
      const rect = renderer.domElement.getBoundingClientRect();
      if (rect.width === 0 || rect.height === 0) return null;
      ndc.set(((clientX - rect.left) / rect.width) * 2 - 1, -((clientY - rect.top) / rect.height) * 2 + 1);
      raycaster.setFromCamera(ndc, camera);
      const dist = camera.position.distanceTo(controls.target);
      const pxWorld = (2 * dist * Math.tan(THREE.MathUtils.degToRad(camera.fov) / 2)) / rect.height;
      const thr = Math.min(diag * 0.02, Math.max(diag * 2e-4, pxWorld * Math.max(3, propsRef.current.pointSize)));
      raycaster.params.Points = { threshold: thr };
      const hits = raycaster.intersectObject(points, false);
      if (hits.length === 0) return null;
      // nearest along the ray, then the one closest to the ray among hits at about that depth
      let best = hits[0];
      const d0 = hits[0].distance;
      for (const h of hits) {
        if (h.distance > d0 + 2 * thr) break;
        if ((h.distanceToRay ?? Infinity) < (best.distanceToRay ?? Infinity)) best = h;
      }
      const k = best.index;
      if (k === undefined) return null;
      const inst = data.instance?.[drawnIdx[k]];
      return inst !== undefined && inst > 0 ? inst : null;
    };

    // click = press and release within 5 px (a drag orbits instead)
    let down: { x: number; y: number } | null = null;
    const onDown = (e: PointerEvent) => {
      down = e.button === 0 ? { x: e.clientX, y: e.clientY } : null;
    };
    const onUp = (e: PointerEvent) => {
      if (down && Math.hypot(e.clientX - down.x, e.clientY - down.y) < 5) propsRef.current.onPick(pick(e.clientX, e.clientY));
      down = null;
    };
    renderer.domElement.addEventListener('pointerdown', onDown);
    renderer.domElement.addEventListener('pointerup', onUp);
    controls.addEventListener('change', requestRender);

    const resize = () => {
      const w = Math.max(1, wrap.clientWidth);
      const h = Math.max(1, wrap.clientHeight);
      renderer.setSize(w, h, false);
      camera.aspect = w / h;
      camera.updateProjectionMatrix();
      requestRender();
    };
    const ro = new ResizeObserver(resize);
    ro.observe(wrap);
    resize();

    stageRef.current = { renderer, camera, controls, scene, geometry, material, points, colours, drawnIdx, diag, requestRender, pick };
    const p = propsRef.current;
    fillColours(colours.array as Uint8Array, data, drawnIdx, p.colourMode, p.selected, up);
    const idx = visibleIndex(drawnIdx, data.instance, p.hidden);
    if (idx) geometry.setIndex(new THREE.BufferAttribute(idx, 1));
    window.__tesseraPointCloud = hook;
    requestRender();

    return () => {
      if (frame) cancelAnimationFrame(frame);
      ro.disconnect();
      renderer.domElement.removeEventListener('pointerdown', onDown);
      renderer.domElement.removeEventListener('pointerup', onUp);
      controls.removeEventListener('change', requestRender);
      controls.dispose();
      geometry.dispose();
      material.dispose();
      renderer.dispose();
      renderer.domElement.remove();
      stageRef.current = null;
      if (window.__tesseraPointCloud === hook) delete window.__tesseraPointCloud;
    };
  }, [data, up]);

  // Colours: mode and selection.
  useEffect(() => {
    const s = stageRef.current;
    if (!s) return;
    fillColours(s.colours.array as Uint8Array, data, s.drawnIdx, colourMode, selected, up);
    s.colours.needsUpdate = true;
    s.requestRender();
  }, [data, colourMode, selected, up]);

  // Hidden instances: an index buffer over the drawn points (no index when nothing is hidden).
  useEffect(() => {
    const s = stageRef.current;
    if (!s) return;
    const idx = visibleIndex(s.drawnIdx, data.instance, hidden);
    s.geometry.setIndex(idx ? new THREE.BufferAttribute(idx, 1) : null);
    s.requestRender();
  }, [data, hidden]);

  useEffect(() => {
    const s = stageRef.current;
    if (!s) return;
    s.material.size = pointSize;
    s.requestRender();
  }, [pointSize]);

  // Centre the orbit on a point (row click): the camera keeps its direction and distance.
  useEffect(() => {
    const s = stageRef.current;
    if (!s || !focus) return;
    const t = new THREE.Vector3(...focus.target);
    const delta = t.clone().sub(s.controls.target);
    s.controls.target.copy(t);
    s.camera.position.add(delta);
    s.controls.update();
    s.requestRender();
  }, [focus]);

  return <div ref={wrapRef} className="viewer-canvas-wrap" data-testid="pc-viewport" />;
}
