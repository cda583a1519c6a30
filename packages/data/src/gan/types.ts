/** One (label map, image) pair, row-major, at the dataset's output size. */
export interface LabelImageSample {
  /** Identifies the sample in messages (a file stem or `synthetic/<split>/<index>`). */
  id: string;
  height: number;
  width: number;
  /** Class index per pixel, each < numClasses. */
  labels: Uint8Array;
  /** 1 where a pixel borders a different instance (SPADE's instance edge map), else 0. */
  edges: Uint8Array;
  /** RGB, 3 bytes per pixel. */
  image: Uint8Array;
}

export type LabelImageSplit = 'train' | 'val';

/** A label-map → image dataset (Cityscapes, synthetic street scenes). No tfjs: plain arrays. */
export interface LabelImageDataset {
  readonly name: string;
  readonly height: number;
  readonly width: number;
  /** Number of label classes (one-hot depth). */
  readonly numClasses: number;
  readonly classNames: readonly string[];
  /** RGB colour per class, for drawing label maps. */
  readonly palette: readonly (readonly [number, number, number])[];
  /** Whether `edges` carries instance boundaries (false: all zeros). */
  readonly hasInstances: boolean;
  size(split: LabelImageSplit): number;
  get(split: LabelImageSplit, index: number): Promise<LabelImageSample>;
}
