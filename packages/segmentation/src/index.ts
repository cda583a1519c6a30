// @cdg/segmentation: UNet with a ResNet-50 encoder, per-pixel loss with an ignore label, mIoU,
// and the task adapter `cdg train segmentation` loads.
export * from './model';
export * from './loss';
export * from './batchnorm';
export * from './confusion';
export * from './weights';
export { predictionStrip } from './render';
export * from './adapter';
export { segmentationTask, segmentationOptions, PAPER_VOC_SETTINGS } from './task';
