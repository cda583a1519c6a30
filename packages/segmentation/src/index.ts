// @cdg/segmentation: UNet with a ResNet-50 encoder, per-pixel loss with an ignore label, mIoU.
export * from './model';
export * from './loss';
export * from './confusion';
export * from './weights';
