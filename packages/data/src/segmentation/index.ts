// Segmentation datasets: Pascal VOC 2012, synthetic shapes, and their batching/augmentation.
export * from './types';
export { VOC_CLASS_NAMES, VOC_IGNORE_INDEX, vocPalette, vocIndexOfColour, colourizeLabels } from './palette';
export {
  type SegmentationAugmentation,
  type CropPlacement,
  SEGMENTATION_PAD_RGB,
  randomCropPlacement,
  fitCropPlacement,
  applyCropPlacement,
} from './transform';
export * from './batches';
export * from './synthetic';
export * from './voc';
