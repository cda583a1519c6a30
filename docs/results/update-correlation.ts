// Filter correlation of the weight *update* (final kernel − initial kernel) of study runs, along the
// output and the input channel axis. After a short run the kernels are still mostly their random
// initialization, so the correlation of the kernels themselves says little; the update is where a
// channel-directed metric acts. The initial weights are rebuilt from the run's seed (cnn2 is seeded).
//   node --import tsx docs/results/update-correlation.ts OUT RUN_DIR...   (cnn2 init code unchanged since the study snapshot)
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { buildClassificationModel } from '@cdg/classification';
import { correlationSpec, correlationTable, kernelCorrelation, readCheckpointWeights, renderSvg, svgToPng } from '@cdg/report';
import type { LayerCorrelation } from '@cdg/report';

async function main(): Promise<void> {
  const [out, ...runs] = process.argv.slice(2);
  if (!out || runs.length === 0) throw new Error('usage: update-correlation.ts OUT_DIR RUN_DIR...');
  await tf.setBackend('cpu');
  const layers: LayerCorrelation[] = [];
  const norms: string[] = ['| run | kernel | ‖w₀‖ | ‖w − w₀‖ |', '| --- | --- | --- | --- |'];
  for (const run of runs) {
    const cfg = JSON.parse(fs.readFileSync(path.join(run, 'config.json'), 'utf8')).config;
    const model = buildClassificationModel(cfg.model, { inputShape: [28, 28, 1], classes: 10, seed: cfg.seed });
    const init = new Map(model.weights.map((w) => [w.originalName, w.read().dataSync() as Float32Array]));
    model.dispose();
    for (const w of readCheckpointWeights(run)) {
      if (!w.name.endsWith('/kernel') || w.shape.length !== 4) continue;
      const w0 = init.get(w.name);
      if (!w0 || w0.length !== w.data.length) throw new Error(`${run}: no initial weight ${w.name} of ${w.data.length} values`);
      const delta = w.data.map((v, i) => v - w0[i]);
      const norm = (a: Float32Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0));
      norms.push(`| ${path.basename(run)} | ${w.name} | ${norm(w0).toFixed(3)} | ${norm(delta).toFixed(4)} |`);
      layers.push({ model: path.basename(run), weight: `Δ${w.name}`, layout: 'conv', correlation: kernelCorrelation(delta, w.shape, { maxDistance: 16 }) });
    }
  }
  fs.mkdirSync(out, { recursive: true });
  const table = correlationTable(layers);
  const spec = correlationSpec(layers, 'correlation of the weight update (final − initial) by channel distance');
  const svg = await renderSvg(spec);
  fs.writeFileSync(path.join(out, 'update-correlation.svg'), svg);
  fs.writeFileSync(path.join(out, 'update-correlation.png'), await svgToPng(svg));
  fs.writeFileSync(path.join(out, 'update-correlation.md'), `# Correlation of the weight update\n\nPearson correlation of whole filters j and j+d of Δw = w_final − w_init (w_init rebuilt from the seed), mean over pairs at distance d.\n\n${table}\n\nNorms (a check that w_init was rebuilt right: ‖Δw‖ ≪ ‖w₀‖):\n\n${norms.join('\n')}\n\n![update correlation](update-correlation.png)\n`);
  console.log(table);
  console.log(norms.join('\n'));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
