/**
 * SPADE's instance edge map: a pixel is an edge if its instance id differs from its left, right,
 * upper or lower neighbour (both pixels of a differing pair are marked).
 */
export function instanceEdges(ids: ArrayLike<number>, height: number, width: number): Uint8Array {
  if (ids.length !== height * width) {
    throw new Error(`instanceEdges: got ${ids.length} ids for a ${height}x${width} map (expected ${height * width})`);
  }
  const e = new Uint8Array(height * width);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (x + 1 < width && ids[i] !== ids[i + 1]) e[i] = e[i + 1] = 1;
      if (y + 1 < height && ids[i] !== ids[i + width]) e[i] = e[i + width] = 1;
    }
  }
  return e;
}
