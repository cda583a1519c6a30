/** Which part of a segmentation dataset. */
export type SegmentationSplit = 'train' | 'val';

/** One decoded image and its label map, both H×W, row-major. */
export interface SegmentationSample {
  id: string;
  width: number;
  height: number;
  /** RGB bytes, H·W·3. */
  image: Uint8Array;
  /** Class index per pixel (0 … numClasses−1), or the ignore index. H·W. */
  mask: Uint8Array;
}

/** A source of segmentation samples (VOC, synthetic shapes, or a user's own). */
export interface SegmentationSource {
  readonly name: string;
  readonly numClasses: number;
  readonly classNames: readonly string[];
  /** Label value excluded from loss and metrics (255). */
  readonly ignoreIndex: number;
  size(split: SegmentationSplit): number;
  /** Loads sample `index` of `split`; rejects with a DatasetError naming the file on bad input. */
  load(split: SegmentationSplit, index: number): Promise<SegmentationSample>;
}
