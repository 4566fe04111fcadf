/**
 * The `tessera` command line. `main(argv)` returns the exit code; bin/tessera.mjs runs it.
 * Errors become one line on stderr: `error: <what> (<where>). <hint>`; exit 2 for bad arguments
 * and unavailable devices, 1 for anything else.
 */
import { isTesseraError } from '../lib/errors';
import { evalCommand } from './commands/eval';
import { generateNucleiCommand } from './commands/generate-nuclei';
import { generateSceneCommand } from './commands/generate-scene';
import { generateTrainingDataCommand } from './commands/generate-training-data';
import { runModelCommand } from './commands/run-model';
import { segmentCellsCommand } from './commands/segment-cells';
import { segmentPointsCommand } from './commands/segment-points';

export const HELP = `Usage: tessera <command> [options]

Commands:
  segment-cells <input> --out <labels.nii.gz>   nuclei/cell instances (classical, or --model nuclei|cells)
  segment-points <in.ply|pcd|las|xyz> --out <labeled.ply>  PointNet++ per-point instance segmentation
  run-model --model <m.onnx> <input> --out <labels.nii.gz>  run an ONNX segmentation model
  eval --pred <labels> --gt <labels> | --suite validation   instance AP / the bundled models' validation suite
  generate-nuclei --out <img> --labels <gt>     synthetic nuclei volume with ground truth
  generate-scene --out <scene.ply>              synthetic RGB-D scene with instance/class labels
  generate-training-data --kind nuclei|cells --count <n> --out <dir>  U-Net training volumes + targets

Run 'tessera <command> --help' for a command's options.`;

type Command = (argv: string[], log: (s: string) => void) => Promise<number>;
const COMMANDS: Record<string, Command> = {
  'segment-cells': segmentCellsCommand,
  'segment-points': segmentPointsCommand,
  'run-model': runModelCommand,
  eval: evalCommand,
  'generate-nuclei': generateNucleiCommand,
  'generate-scene': generateSceneCommand,
  'generate-training-data': generateTrainingDataCommand,
};

export function exitCodeFor(e: unknown): number {
  if (isTesseraError(e) && (e.code === 'INVALID_ARGUMENT' || e.code === 'GPU_UNAVAILABLE')) return 2;
  return 1;
}

export async function main(
  argv: string[],
  io: { log: (s: string) => void; error: (s: string) => void } = { log: (s) => console.log(s), error: (s) => console.error(s) },
): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    io.log(HELP);
    return cmd === undefined ? 2 : 0;
  }
  const run = COMMANDS[cmd];
  if (!run) {
    io.error(`error: unknown command '${cmd}'. Run 'tessera --help' for the list.`);
    return 2;
  }
  try {
    return await run(rest, io.log);
  } catch (e) {
    const line = isTesseraError(e) ? e.toOneLine() : e instanceof Error ? e.message : String(e);
    io.error(`error: ${line.replace(/\s*\n\s*/g, ' ')}`);
    return exitCodeFor(e);
  }
}
