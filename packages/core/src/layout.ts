import type { ResolvedMetricSpec } from './types';

/** A tensor seen as [outer, n, inner], with the fibres of length n running along the middle axis. */
export interface FibreLayout {
  outer: number;
  n: number;
  inner: number;
}

/** The [outer, n, inner] view of `shape` for a resolved axis; 'rasterized' is [1, size, 1]. */
export function fibreLayout(shape: readonly number[], axis: ResolvedMetricSpec['axis']): FibreLayout {
  const size = shape.reduce((a, b) => a * b, 1);
  if (axis === 'rasterized') return { outer: 1, n: size, inner: 1 };
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i];
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i];
  return { outer, n: shape[axis], inner };
}
