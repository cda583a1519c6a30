// @cdg/gan: the SPADE GAN task adapter (generator, multi-scale discriminator, losses, Fréchet distance).
import 'reflect-metadata';

export { ParameterFreeNorm, ResizeNearest, SpadeModulation, SpectralConv2D } from './layers';
export type { ParameterFreeNormArgs, ResizeNearestArgs, SpectralConv2DArgs } from './layers';
export {
  buildSpadeGenerator, buildMultiscaleDiscriminator, spadeGeneratorParameterCount, multiscaleDiscriminatorParameterCount,
  resolveGeneratorConfig, resolveDiscriminatorConfig, trainableParameterCount, SPADE_CITYSCAPES,
} from './spade';
export type { SpadeGeneratorConfig, MultiscaleDiscriminatorConfig, SpadeUpsampling } from './spade';
export { discriminatorHingeLoss, generatorHingeLoss, featureMatchingLoss, splitScales } from './losses';
export { fitGaussian, frechetDistance, sqrtmPsd, traceSqrtProduct } from './frechet';
export type { GaussianFit } from './frechet';
export {
  randomConvFeatureExtractor, loadInceptionFeatureExtractor, loadVggPerceptualLoss, fileSystemModel,
  RANDOM_CONV_SEED, RANDOM_CONV_CHANNELS, RANDOM_CONV_INPUT, VGG_LAYERS, VGG_LAYER_WEIGHTS,
} from './features';
export type { FeatureExtractor, PerceptualLoss } from './features';
export { createGanOptimizers, createInnerOptimizer, GAN_NETWORKS } from './optimizers';
export type { GanNetworkName, GanOptimizerConfig, GanOptimizers } from './optimizers';
export { samplesToBatch, disposeBatch, labelMapChannels, seededPermutation } from './batches';
export type { GanBatch } from './batches';
export { composeGrid, writeSampleGrid } from './grid';
export type { GridRow } from './grid';
export { GanAdapter } from './adapter';
export type { GanAdapterOptions, GanStepMetrics } from './adapter';
export { ganTask, ganRules, ganDataset, ganOptimizerConfigs, GAN_DATASETS, GAN_CONV_LAYER_TYPES } from './task';
