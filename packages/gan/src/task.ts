import type { LayerRule } from '@cdg/hook';
import { openCityscapes, syntheticStreetScenes, type LabelImageDataset } from '@cdg/data';
import type { CommonTrainConfig, TaskDefinition } from '@cdg/trainer';
import { GanAdapter } from './adapter';
import { loadInceptionFeatureExtractor, loadVggPerceptualLoss, randomConvFeatureExtractor } from './features';
import type { GanOptimizerConfig } from './optimizers';
import type { SpadeUpsampling } from './spade';
import { SpectralConv2D } from './layers';

export const GAN_DATASETS = ['synthetic', 'cityscapes'] as const;

type Config = CommonTrainConfig & Record<string, unknown>;

/** Layer classes whose `kernel` the flags' rule transforms: Conv2D and the spectrally normalized convolution. */
export const GAN_CONV_LAYER_TYPES = ['Conv2D', SpectralConv2D.className] as const;

/** The hook rules the flags describe for one network: the metric on every convolution kernel, the rest plain L2. */
export function ganRules(cfg: Pick<CommonTrainConfig, 'metric' | 'lambda' | 'sigma' | 'formulation' | 'direction' | 'mix'>, metric = cfg.metric, lambda = cfg.lambda): LayerRule[] {
  return [{ name: `conv kernels: ${metric}`, layerType: [...GAN_CONV_LAYER_TYPES], weight: 'kernel', metric, lambda, sigma: cfg.sigma, formulation: cfg.formulation, direction: cfg.direction, mix: cfg.mix }];
}

function num(cfg: Config, key: string, dflt: number, check: (v: number) => boolean, what: string): number {
  const v = cfg[key] ?? dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || !check(v)) {
    throw new Error(`--${key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())} must be ${what}, got ${String(v)}`);
  }
  return v;
}
const int = (cfg: Config, key: string, dflt: number, min = 1) => num(cfg, key, dflt, (v) => Number.isInteger(v) && v >= min, `an integer ≥ ${min}`);
const posNum = (cfg: Config, key: string, dflt: number) => num(cfg, key, dflt, (v) => v > 0, 'a finite number > 0');
const nonNeg = (cfg: Config, key: string, dflt: number) => num(cfg, key, dflt, (v) => v >= 0, 'a finite number ≥ 0');
const str = (cfg: Config, key: string): string | undefined => {
  const v = cfg[key];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new Error(`--${key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())} must be a string, got ${String(v)}`);
  return v;
};

/** Opens the dataset the flags name. */
export async function ganDataset(cfg: Config): Promise<LabelImageDataset> {
  const height = int(cfg, 'imageHeight', 32);
  const width = int(cfg, 'imageWidth', 64);
  if (cfg.dataset === 'synthetic') {
    return syntheticStreetScenes({ height, width, trainSize: int(cfg, 'trainSize', 512), valSize: int(cfg, 'valSize', 64), seed: 0 });
  }
  if (cfg.dataset === 'cityscapes') {
    if (!cfg.dataDir) throw new Error('--dataset cityscapes needs --data-dir pointing at the folder with leftImg8bit/ and gtFine/');
    const max = cfg.maxSamples === undefined || cfg.maxSamples === 0 ? undefined : int(cfg, 'maxSamples', 0);
    return openCityscapes({ root: cfg.dataDir, height, width, maxSamples: max });
  }
  throw new Error(`dataset must be one of ${GAN_DATASETS.join(', ')} for gan, got ${String(cfg.dataset)}`);
}

/** Both networks' optimizer configs from the flags (--g-lr, --d-lr, --g-metric, --d-metric, …). */
export function ganOptimizerConfigs(cfg: Config): Record<'generator' | 'discriminator', GanOptimizerConfig> {
  const common = {
    optimizer: cfg.optimizer,
    momentum: cfg.momentum,
    weightDecay: cfg.weightDecay,
    adamBeta1: nonNeg(cfg, 'adamBeta1', 0),
    adamBeta2: nonNeg(cfg, 'adamBeta2', 0.999),
  };
  const metricOf = (k: string) => str(cfg, k) ?? cfg.metric;
  return {
    generator: { ...common, learningRate: posNum(cfg, 'gLr', 1e-4), rules: ganRules(cfg, metricOf('gMetric'), posNum(cfg, 'gLambda', cfg.lambda)) },
    discriminator: { ...common, learningRate: posNum(cfg, 'dLr', 4e-4), rules: ganRules(cfg, metricOf('dMetric'), posNum(cfg, 'dLambda', cfg.lambda)) },
  };
}

/** `cdg train gan`: SPADE on synthetic street scenes or Cityscapes, G and D with their own hooked optimizers. */
export const ganTask: TaskDefinition = {
  task: 'gan',
  describe: 'semantic image synthesis: SPADE generator + multi-scale PatchGAN discriminator on synthetic street scenes or Cityscapes (--data-dir)',
  options: {
    'g-lr': { type: 'number', describe: 'generator learning rate (the paper: 1e-4)', default: 1e-4 },
    'd-lr': { type: 'number', describe: 'discriminator learning rate (the paper: 4e-4)', default: 4e-4 },
    'g-metric': { type: 'string', describe: 'metric for the generator only (default: --metric)' },
    'd-metric': { type: 'string', describe: 'metric for the discriminator only (default: --metric)' },
    'g-lambda': { type: 'number', describe: 'lambda for the generator only (default: --lambda)' },
    'd-lambda': { type: 'number', describe: 'lambda for the discriminator only (default: --lambda)' },
    'adam-beta1': { type: 'number', describe: "Adam β1 with --optimizer adam (SPADE: 0)", default: 0 },
    'adam-beta2': { type: 'number', describe: "Adam β2 with --optimizer adam (SPADE: 0.999)", default: 0.999 },
    'image-height': { type: 'number', describe: 'image height (multiple of 32; SPADE Cityscapes: 256)', default: 32 },
    'image-width': { type: 'number', describe: 'image width (multiple of 32; SPADE Cityscapes: 512)', default: 64 },
    ngf: { type: 'number', describe: 'generator base width (SPADE: 64)', default: 8 },
    ndf: { type: 'number', describe: 'discriminator base width (SPADE: 64)', default: 16 },
    'spade-hidden': { type: 'number', describe: "hidden channels of each SPADE module's shared conv (SPADE: 128)", default: 32 },
    'g-norm': { type: 'string', describe: "SPADE's parameter-free norm (SPADE Cityscapes: batch)", default: 'batch', choices: ['batch', 'instance'] },
    upsampling: { type: 'string', describe: 'generator upsamplings: normal = 5, more = 6, most = 7', default: 'normal', choices: ['normal', 'more', 'most'] },
    'd-layers': { type: 'number', describe: 'PatchGAN depth n_layers_D (SPADE: 4)', default: 4 },
    'd-scales': { type: 'number', describe: 'discriminator scales num_D (SPADE: 2)', default: 2 },
    'spectral-norm': { type: 'boolean', describe: 'spectral normalization on G\'s residual-block convs and D\'s inner convs (SPADE: on)', default: true },
    'instance-edges': { type: 'boolean', describe: 'feed the instance edge map as an extra label channel (SPADE: on)', default: true },
    'lambda-feat': { type: 'number', describe: 'weight of the discriminator feature-matching loss (SPADE: 10)', default: 10 },
    'vgg-weights': { type: 'string', describe: 'folder of a Keras VGG19 tfjs LayersModel: enables the VGG perceptual loss (off without it)' },
    'lambda-vgg': { type: 'number', describe: 'weight of the VGG loss (SPADE: 10)', default: 10 },
    inception: { type: 'string', describe: 'folder of an InceptionV3 tfjs LayersModel (pool features): reports FID; without it the distance is fdRandomConv' },
    'eval-samples': { type: 'number', describe: 'val images for the Fréchet distance (0 = skip)', default: 32 },
    'grid-samples': { type: 'number', describe: 'rows of the per-epoch sample grid (label | generated | real)', default: 4 },
    'train-size': { type: 'number', describe: 'synthetic: training scenes', default: 512 },
    'val-size': { type: 'number', describe: 'synthetic: validation scenes', default: 64 },
    'max-samples': { type: 'number', describe: 'cityscapes: use at most N images per split (0 = all)', default: 0 },
  },
  defaults: { dataset: 'synthetic', optimizer: 'momentum', lr: 1e-4, momentum: 0.9, weightDecay: 5e-4, batchSize: 2, epochs: 1 },
  async create(ctx) {
    const cfg = ctx.config;
    const dataset = await ganDataset(cfg);
    const optimizers = ganOptimizerConfigs(cfg);
    const evalSamples = int(cfg, 'evalSamples', 32, 0);
    const inception = str(cfg, 'inception');
    const vggWeights = str(cfg, 'vggWeights');
    if (evalSamples > 0 && dataset.size('val') < 2) {
      throw new Error(`the Fréchet distance needs at least 2 val images, ${dataset.name} has ${dataset.size('val')}; add val data or pass --eval-samples 0`);
    }
    const featureExtractor = evalSamples === 0 ? undefined : inception ? await loadInceptionFeatureExtractor(inception) : randomConvFeatureExtractor();
    const perceptualLoss = vggWeights ? await loadVggPerceptualLoss(vggWeights) : undefined;
    const norm = cfg.gNorm ?? 'batch';
    if (norm !== 'batch' && norm !== 'instance') throw new Error(`--g-norm must be 'batch' or 'instance', got ${String(norm)}`);
    const upsampling = (cfg.upsampling ?? 'normal') as SpadeUpsampling;
    const spectralNorm = cfg.spectralNorm ?? true;
    if (typeof spectralNorm !== 'boolean') throw new Error(`--spectral-norm must be a boolean, got ${String(spectralNorm)}`);
    const edges = cfg.instanceEdges ?? true;
    if (typeof edges !== 'boolean') throw new Error(`--instance-edges must be a boolean, got ${String(edges)}`);
    ctx.log(
      `gan: ${dataset.name} ${dataset.height}x${dataset.width} (${dataset.size('train')} train / ${dataset.size('val')} val), ` +
        `G lr ${optimizers.generator.learningRate} ${optimizers.generator.rules[0].metric}, D lr ${optimizers.discriminator.learningRate} ${optimizers.discriminator.rules[0].metric}, ` +
        `${cfg.optimizer}; distance ${featureExtractor ? featureExtractor.distanceName : 'off'}; VGG loss ${perceptualLoss ? 'on' : 'off'}`,
    );
    return new GanAdapter({
      dataset,
      batchSize: cfg.batchSize,
      seed: cfg.seed,
      useInstanceEdges: edges && dataset.hasInstances,
      generator: { ngf: int(cfg, 'ngf', 8), spadeHidden: int(cfg, 'spadeHidden', 32), norm, upsampling, spectralNorm },
      discriminator: { ndf: int(cfg, 'ndf', 16), layers: int(cfg, 'dLayers', 4), scales: int(cfg, 'dScales', 2), spectralNorm },
      lambdaFeat: nonNeg(cfg, 'lambdaFeat', 10),
      lambdaVgg: nonNeg(cfg, 'lambdaVgg', 10),
      perceptualLoss,
      optimizers,
      featureExtractor,
      evalSamples,
      gridSamples: int(cfg, 'gridSamples', 4, 0),
      log: ctx.log,
    });
  },
};
