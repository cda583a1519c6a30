import { expect } from 'chai';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import { generateReport, loadRuns, chooseMeasure, analyze } from '@cdg/report';

interface FakeRun {
  id: string;
  config: Record<string, unknown>;
  accuracies: number[];
}

function writeRuns(dir: string, runs: FakeRun[]): void {
  for (const r of runs) {
    const d = path.join(dir, r.id);
    fs.mkdirSync(d, { recursive: true });
    const config = { task: 'classification', dataset: 'mnist', lr: 0.01, optimizer: 'sgd', batchSize: 8, epochs: r.accuracies.length, lambda: 1, sigma: 1, formulation: 'exact', backend: 'cpu', out: d, ...r.config };
    // The trainer nests the config under `config`; a flat config.json is read as well.
    fs.writeFileSync(path.join(d, 'config.json'), JSON.stringify(r.id.startsWith('big/') ? { config, backend: 'cpu', parameters: 1234 } : config));
    fs.writeFileSync(path.join(d, 'metrics.json'), JSON.stringify(r.accuracies.map((a, i) => ({ epoch: i + 1, step: (i + 1) * 10, loss: 1 - a, accuracy: a, trainAccuracy: a + 0.01 }))));
  }
}

/** Hex colour → how many PNG pixels have (about) that colour. */
async function countColor(png: string, hex: string): Promise<number> {
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  let n = 0;
  for (let p = 0; p < data.length; p += info.channels) {
    if (Math.abs(data[p] - r) < 8 && Math.abs(data[p + 1] - g) < 8 && Math.abs(data[p + 2] - b) < 8) n++;
  }
  return n;
}

describe('report: tables, figures and pages from run directories', function () {
  this.timeout(30000);
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdg-report-'));
    // Final accuracies: l2 0.90/0.91/0.92, sobolev λ=1 0.92/0.92/0.95 (seed 2 peaks at 0.96 in epoch 2),
    // sobolev λ=5 0.89/0.90/0.93; plus a batch-100 context with its own l2 baseline.
    const l2 = [0.9, 0.91, 0.92];
    const s1 = [0.92, 0.92, 0.95];
    const s5 = [0.89, 0.9, 0.93];
    const runs: FakeRun[] = [];
    [1, 2, 3].forEach((seed, i) => {
      runs.push({ id: `runs/l2_seed${seed}`, config: { metric: 'l2', seed }, accuracies: [0.5, 0.8, l2[i]] });
      runs.push({ id: `runs/sob1_seed${seed}`, config: { metric: 'sobolev', lambda: 1, seed }, accuracies: [0.6, seed === 2 ? 0.96 : 0.85, s1[i]] });
      runs.push({ id: `runs/sob5_seed${seed}`, config: { metric: 'sobolev', lambda: 5, seed }, accuracies: [0.6, 0.85, s5[i]] });
      runs.push({ id: `big/l2_seed${seed}`, config: { metric: 'l2', seed, batchSize: 100 }, accuracies: [0.6, 0.7, 0.8] });
      runs.push({ id: `big/rw_seed${seed}`, config: { metric: 'reweighted-l2', lambda: 5, formulation: 'paper', seed, batchSize: 100 }, accuracies: [0.6, 0.7, 0.84] });
    });
    writeRuns(dir, runs);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('groups runs by setting with l2 ignoring λ and formulation, and finds each context\'s baseline', () => {
    const runs = loadRuns([dir]);
    expect(runs).to.have.length(15);
    const a = analyze(runs, chooseMeasure(runs));
    expect(a.measure.key).to.equal('accuracy');
    expect(a.contextKeys).to.deep.equal(['batchSize']);
    expect(a.rows.map((r) => `${r.setting.values.batchSize} ${r.label}`)).to.deep.equal([
      '100 l2 (baseline)',
      '100 reweighted-l2 λ=5 paper',
      '8 l2 (baseline)',
      '8 sobolev λ=1 exact',
      '8 sobolev λ=5 exact',
    ]);
    // Over the seeds both have: drop seed 3 of λ=5 and compare with l2's seeds 1, 2 only.
    const partial = analyze(runs.filter((r) => !(r.config.lambda === 5 && r.config.seed === 3 && r.config.metric === 'sobolev')), a.measure);
    const s5 = partial.rows.find((r) => r.label === 'sobolev λ=5 exact')!;
    expect(s5.pairedSeeds).to.deep.equal([1, 2]);
    // l2 seeds 1, 2: 0.905 mean → err 0.095; λ=5 seeds 1, 2: 0.895 → err 0.105.
    expect(s5.errorReductionFinal).to.be.closeTo((0.095 - 0.105) / 0.095, 1e-9);
    const rw = a.rows[1];
    // err 0.20 → 0.16: 20 % error reduction; every seed +4 pp (no spread: t undefined).
    expect(rw.errorReductionFinal).to.be.closeTo(0.2, 1e-9);
    expect(rw.paired!.meanDifference).to.be.closeTo(0.04, 1e-12);
    expect(rw.paired!.pValue).to.be.NaN;
  });

  it('writes the table with mean ± std, best, error reduction and paired p-values (hand-computed)', async () => {
    const out = path.join(dir, 'report');
    const r = await generateReport({ inputs: [path.join(dir, 'runs'), path.join(dir, 'big')], outDir: out, title: 'fake study', notes: 'Ran nothing real.' });
    const md = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
    expect(md).to.equal(r.markdown);
    expect(md).to.match(/^# fake study\n\nRan nothing real\./);
    const row = (label: string) => md.split('\n').find((l) => l.startsWith('| 8 |') && l.includes(`| ${label} |`))!;
    // l2: 91.00 ± 1.00; sobolev λ=1: mean 93, std sqrt((1+1+4)/2) = 1.73, best (92, 96, 95) → 94.33 ± 2.08.
    expect(row('l2 (baseline)')).to.contain('| 3 | 91.00 ± 1.00 | 91.00 ± 1.00 | — | — | — | — |');
    // error reduction (0.09 − 0.07)/0.09 = 22.2 %; differences 2, 1, 3 pp → t = 2/(1/√3), p = 1 − t/√(2+t²) = 0.074.
    const t = 2 * Math.sqrt(3);
    const p = 1 - t / Math.sqrt(2 + t * t);
    expect(p.toPrecision(2)).to.equal('0.074');
    expect(row('sobolev λ=1 exact')).to.contain(`| 3 | 93.00 ± 1.73 | 94.33 ± 2.08 | +22.2 | +2.00 | ${p.toPrecision(2)} | 0.25 |`);
    // λ=5: mean 90.67; error reduction (0.09 − 0.09333)/0.09 = −3.7 %.
    expect(row('sobolev λ=5 exact')).to.contain('| 90.67 ± 2.08 | 90.67 ± 2.08 | -3.7 | -0.33 |');
    // train − test gap column: trainAccuracy is accuracy + 1 pp in every run.
    expect(row('l2 (baseline)')).to.match(/\| 1\.00 ± 0\.00 \|$/);
    const summary = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8'));
    expect(summary.rows).to.have.length(5);
    expect(summary.rows[3].paired.pValue).to.be.closeTo(p, 1e-9);
  });

  it('renders SVG figures that carry the plotted values, PNGs of them, and an HTML page inlining the SVGs', async () => {
    const out = path.join(dir, 'report2');
    const r = await generateReport({ inputs: [dir], outDir: out });
    // Per context (batch 8, batch 100): curves, metric vs λ, histogram.
    expect(r.figures.map((f) => path.basename(f.svg)).sort()).to.deep.equal([
      'curves_batchSize-100.svg', 'curves_batchSize-8.svg', 'histogram_batchSize-100.svg', 'histogram_batchSize-8.svg', 'strength_batchSize-100.svg', 'strength_batchSize-8.svg',
    ]);
    const curves = fs.readFileSync(path.join(out, 'figures', 'curves_batchSize-8.svg'), 'utf8');
    expect(curves.startsWith('<svg')).to.equal(true);
    // Points of the mean curves: l2's mean at epoch 2 is 80 %, sobolev λ=1's at epoch 3 is 93 %.
    expect(curves).to.contain('aria-label="epoch: 2; test accuracy (%): 80; λ / σ: l2 (baseline); formulation: —"');
    expect(curves).to.match(/aria-label="epoch: 3; test accuracy \(%\): 93(\.0+\d*)?; λ \/ σ: λ=1; formulation: exact"/);
    // λ=1 at epoch 2: (85 + 96 + 85)/3 = 88.67.
    expect(curves).to.contain('aria-label="epoch: 2; test accuracy (%): 88.6666666667; λ / σ: λ=1;');
    expect(curves).to.contain('test accuracy (%)');
    const strength = fs.readFileSync(path.join(out, 'figures', 'strength_batchSize-8.svg'), 'utf8');
    // Each seed of λ=5 as a point, and the baseline label with its mean ± std.
    for (const v of ['89', '90', '93']) expect(strength).to.match(new RegExp(`aria-label="λ \\(σ for laplacian-smoothing\\): 5; final test accuracy \\(%\\): ${v}(\\.0+\\d*)?; `));
    expect(strength).to.contain('l2 baseline 91.00 ± 1.00');
    const hist = fs.readFileSync(path.join(out, 'figures', 'histogram_batchSize-8.svg'), 'utf8');
    expect(hist).to.contain('sobolev λ=5 exact');
    expect(hist).to.match(/final test accuracy \(%\): 92 – 92\.5; runs: 2; who: with metric/); // λ=1 has two seeds at 92 %

    for (const f of r.figures) {
      const meta = await sharp(f.png!).metadata();
      const width = Number(/width="(\d+)"/.exec(fs.readFileSync(f.svg, 'utf8'))![1]);
      expect(meta.format).to.equal('png');
      expect(meta.width).to.equal(width * 2);
    }
    // The l2 curve is drawn in #222222 and λ=1 in #0072b2: both appear in the PNG.
    const png = path.join(out, 'figures', 'curves_batchSize-8.png');
    expect(await countColor(png, '#222222')).to.be.greaterThan(200);
    expect(await countColor(png, '#0072b2')).to.be.greaterThan(200);

    const html = fs.readFileSync(path.join(out, 'report.html'), 'utf8');
    expect(html.match(/<svg[\s>]/g)).to.have.length(6);
    expect(html).to.not.match(/<img|src="|<link /);
    expect(html).to.contain('<td>sobolev λ=1 exact</td>');
    expect(html).to.contain('aria-label="epoch: 2; test accuracy (%): 80; λ / σ: l2 (baseline)');
    const md = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
    for (const f of r.figures) expect(md).to.contain(`](figures/${path.basename(f.png!)})`);
  });

  it('names bad input', async () => {
    expect(() => loadRuns([path.join(dir, 'nope')])).to.throw(/nope is not a directory/);
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'cdg-empty-'));
    expect(() => loadRuns([empty])).to.throw(/holds no run: no metrics.json/);
    fs.writeFileSync(path.join(empty, 'metrics.json'), '{"epoch": 1}');
    expect(() => loadRuns([empty])).to.throw(/must be a JSON list of per-epoch records/);
    fs.writeFileSync(path.join(empty, 'metrics.json'), '[{"epoch": 1, "accuracy": 0.5}]');
    expect(() => loadRuns([empty])).to.throw(/no config.json/);
    fs.rmSync(empty, { recursive: true });
    const runs = loadRuns([path.join(dir, 'runs')]);
    expect(() => chooseMeasure(runs, 'miou')).to.throw(/"miou" appears in no metrics.json record/);
  });
});
