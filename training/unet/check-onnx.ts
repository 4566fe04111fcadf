/**
 * Checks an exported U-Net against Tessera's engine without a GPU: every ONNX op through
 * gpu-kernels/onnx `prepareModel` (throws UnsupportedOpError listing any op it lacks), the shape
 * plan for the card's window, and the card through lib/model/card `parseModelCard`.
 *
 *   npx tsx training/unet/check-onnx.ts <model.onnx> <card.json>
 *
 * Prints one JSON line: { ok, ops (ONNX op counts), preparedNodes, fused, outputDims, params }.
 * Exit 1 on any failure (the error's one-line form on stderr).
 */
import { readFileSync } from 'node:fs';
import { loadOnnx, planGraph, prepareModel } from '../../gpu-kernels/onnx';
import { isTesseraError } from '../../lib/errors';
import { parseModelCard } from '../../lib/model/card';

function main(): number {
  const [onnxPath, cardPath] = process.argv.slice(2);
  if (!onnxPath || !cardPath) {
    console.error('usage: npx tsx training/unet/check-onnx.ts <model.onnx> <card.json>');
    return 2;
  }
  try {
    const bytes = new Uint8Array(readFileSync(onnxPath));
    const card = parseModelCard(JSON.parse(readFileSync(cardPath, 'utf8')), cardPath);
    const ops: Record<string, number> = {};
    for (const n of loadOnnx(bytes).nodes) ops[n.opType] = (ops[n.opType] ?? 0) + 1;
    const m = prepareModel(bytes);
    const w = card.input.window;
    if (!w) throw new Error('the card has no input.window');
    const inName = m.graph.inputs[0].name;
    const plan = planGraph(m.graph, { [inName]: [1, card.input.channels, w[2], w[1], w[0]] });
    const outDims = plan.dims.get(m.graph.outputs[0]);
    if (!outDims || outDims[1] !== card.output.classes.length) throw new Error(`output dims ${JSON.stringify(outDims)} do not match ${card.output.classes.length} classes`);
    console.log(JSON.stringify({ ok: true, ops, preparedNodes: m.graph.nodes.length, fused: m.graph.fused, outputDims: outDims, bytes: bytes.length }));
    return 0;
  } catch (e) {
    console.error(isTesseraError(e) ? e.toOneLine() : e instanceof Error ? e.message : String(e));
    return 1;
  }
}

process.exitCode = main();
