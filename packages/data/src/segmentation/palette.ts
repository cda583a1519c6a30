/** Pascal VOC 2012 segmentation classes, index 0 … 20. */
export const VOC_CLASS_NAMES: readonly string[] = [
  'background', 'aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat', 'chair', 'cow',
  'diningtable', 'dog', 'horse', 'motorbike', 'person', 'pottedplant', 'sheep', 'sofa', 'train', 'tvmonitor',
];

/** Label value that marks pixels excluded from loss and metrics (VOC's object borders). */
export const VOC_IGNORE_INDEX = 255;

/**
 * The VOC colour map: 256 RGB triples, index i → colour built by spreading the bits of i over
 * the high bits of R, G and B (index 255, "ignore", comes out as 224,224,192).
 */
export function vocPalette(): Uint8Array {
  const pal = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    let r = 0;
    let g = 0;
    let b = 0;
    let c = i;
    for (let j = 0; j < 8; j++) {
      r |= ((c >> 0) & 1) << (7 - j);
      g |= ((c >> 1) & 1) << (7 - j);
      b |= ((c >> 2) & 1) << (7 - j);
      c >>= 3;
    }
    pal[i * 3] = r;
    pal[i * 3 + 1] = g;
    pal[i * 3 + 2] = b;
  }
  return pal;
}

let colourLookup: Map<number, number> | null = null;

/** Class index of a VOC palette colour (0…20, or 255 for ignore), or -1 for a colour outside the label set. */
export function vocIndexOfColour(r: number, g: number, b: number): number {
  if (!colourLookup) {
    const pal = vocPalette();
    colourLookup = new Map();
    for (let i = 0; i < VOC_CLASS_NAMES.length; i++) colourLookup.set((pal[i * 3] << 16) | (pal[i * 3 + 1] << 8) | pal[i * 3 + 2], i);
    colourLookup.set((pal[VOC_IGNORE_INDEX * 3] << 16) | (pal[VOC_IGNORE_INDEX * 3 + 1] << 8) | pal[VOC_IGNORE_INDEX * 3 + 2], VOC_IGNORE_INDEX);
  }
  return colourLookup.get((r << 16) | (g << 8) | b) ?? -1;
}

/** Colours a label map (class indices, 255 = ignore) with the VOC palette: H·W·3 RGB bytes. */
export function colourizeLabels(labels: ArrayLike<number>, palette: Uint8Array = vocPalette()): Uint8Array {
  const out = new Uint8Array(labels.length * 3);
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i] & 255;
    out[i * 3] = palette[v * 3];
    out[i * 3 + 1] = palette[v * 3 + 1];
    out[i * 3 + 2] = palette[v * 3 + 2];
  }
  return out;
}
