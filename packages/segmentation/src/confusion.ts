/**
 * A segmentation confusion matrix: rows = true class, columns = predicted class; pixels whose
 * truth is the ignore label are not counted. Accumulates over a whole evaluation set.
 */
export class ConfusionMatrix {
  readonly counts: Float64Array;

  constructor(readonly numClasses: number, readonly ignoreIndex = 255) {
    if (!Number.isInteger(numClasses) || numClasses < 1) throw new Error(`numClasses must be a positive integer, got ${numClasses}`);
    this.counts = new Float64Array(numClasses * numClasses);
  }

  /** Adds pixels: `truth[i]` and `prediction[i]` are class indices (truth may be the ignore label). */
  add(truth: ArrayLike<number>, prediction: ArrayLike<number>): this {
    if (truth.length !== prediction.length) throw new Error(`truth has ${truth.length} pixels but prediction has ${prediction.length}`);
    const n = this.numClasses;
    for (let i = 0; i < truth.length; i++) {
      const t = truth[i];
      if (t === this.ignoreIndex) continue;
      const p = prediction[i];
      if (!(t >= 0 && t < n && Number.isInteger(t))) throw new Error(`truth label ${t} at pixel ${i} is outside 0…${n - 1} and is not the ignore label ${this.ignoreIndex}`);
      if (!(p >= 0 && p < n && Number.isInteger(p))) throw new Error(`predicted label ${p} at pixel ${i} is outside 0…${n - 1}`);
      this.counts[t * n + p]++;
    }
    return this;
  }

  /** Adds another matrix of the same size. */
  merge(other: ConfusionMatrix): this {
    if (other.numClasses !== this.numClasses) throw new Error(`cannot merge a ${other.numClasses}-class matrix into a ${this.numClasses}-class one`);
    for (let i = 0; i < this.counts.length; i++) this.counts[i] += other.counts[i];
    return this;
  }

  get(truth: number, prediction: number): number {
    return this.counts[truth * this.numClasses + prediction];
  }

  /** Counted (non-ignored) pixels. */
  total(): number {
    let s = 0;
    for (const v of this.counts) s += v;
    return s;
  }

  /**
   * IoU per class, TP / (TP + FP + FN); NaN for a class that appears in neither truth nor
   * prediction (it has no IoU and is left out of the mean).
   */
  iouPerClass(): number[] {
    const n = this.numClasses;
    const out: number[] = [];
    for (let c = 0; c < n; c++) {
      let row = 0;
      let col = 0;
      for (let k = 0; k < n; k++) {
        row += this.counts[c * n + k];
        col += this.counts[k * n + c];
      }
      const tp = this.counts[c * n + c];
      const union = row + col - tp;
      out.push(union > 0 ? tp / union : NaN);
    }
    return out;
  }

  /** Mean IoU over the classes present in truth or prediction; NaN when no pixel was counted. */
  meanIoU(): number {
    const ious = this.iouPerClass().filter((v) => !Number.isNaN(v));
    return ious.length === 0 ? NaN : ious.reduce((a, b) => a + b, 0) / ious.length;
  }

  /** Correct pixels / counted pixels; NaN when no pixel was counted. */
  pixelAccuracy(): number {
    const total = this.total();
    if (total === 0) return NaN;
    let tp = 0;
    for (let c = 0; c < this.numClasses; c++) tp += this.counts[c * this.numClasses + c];
    return tp / total;
  }
}
