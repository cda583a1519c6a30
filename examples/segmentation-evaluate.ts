// Re-evaluates the newest checkpoint of a `cdg train segmentation` run: validation (and train)
// loss, mIoU, pixel accuracy and the train–test gap, optionally with "precise BN" statistics.
//
//   node --import tsx examples/segmentation-evaluate.ts RUN_DIR [preciseBnImages]     (default 64; 0 = moving averages)
import 'reflect-metadata';
import * as fs from 'fs';
import * as path from 'path';
import { selectBackend } from '@cdg/backend';
import { createSegmentationAdapter, loadEncoderWeights, segmentationOptions } from '@cdg/segmentation';

async function main(): Promise<void> {
  const run = process.argv[2];
  if (!run) throw new Error('usage: segmentation-evaluate.ts RUN_DIR [preciseBnImages]');
  const { config } = JSON.parse(fs.readFileSync(path.join(run, 'config.json'), 'utf8'));
  const ckptRoot = path.join(run, 'checkpoint');
  const latest = fs.readdirSync(ckptRoot).filter((d) => /^epoch-\d+$/.test(d)).sort().pop();
  if (!latest) throw new Error(`no checkpoint in ${ckptRoot}`);
  await selectBackend('auto', { logger: null });
  const options = segmentationOptions({ ...config, preciseBn: Number(process.argv[3] ?? 64) });
  const adapter = await createSegmentationAdapter({ config, outDir: run, log: () => undefined }, options);
  try {
    // every layer's weights, batch-norm statistics included, by <layer>/<weight> name
    loadEncoderWeights(adapter.model, path.join(ckptRoot, latest, 'model-model'), /.*/);
    const m = await adapter.evaluate();
    console.log(JSON.stringify({ run, checkpoint: latest, preciseBn: options.preciseBn, ...m }));
  } finally {
    adapter.dispose();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
