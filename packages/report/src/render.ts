// Vega-Lite → SVG in Node (vega's headless View), SVG → PNG with sharp.
import * as path from 'path';
import { pathToFileURL } from 'url';
import sharp from 'sharp';

/* eslint-disable @typescript-eslint/no-explicit-any */
// vega and vega-lite are ESM-only with top-level await, so they are loaded with a real dynamic import
// (tsc would turn a plain `import()` into `require()` under CommonJS).
const importEsm = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<any>;

let libs: Promise<{ vega: any; vegaLite: any }> | undefined;
function loadVega(): Promise<{ vega: any; vegaLite: any }> {
  libs ??= (async () => {
    const resolve = (name: string) => pathToFileURL(require.resolve(name, { paths: [path.join(__dirname, '..')] })).href;
    const [vega, vegaLite] = await Promise.all([importEsm(resolve('vega')), importEsm(resolve('vega-lite'))]);
    return { vega, vegaLite };
  })();
  return libs;
}

export type VegaLiteSpec = Record<string, unknown>;

/** Renders a Vega-Lite spec to an SVG document string. */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  const { vega, vegaLite } = await loadVega();
  const compiled = vegaLite.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterizes an SVG document to PNG at `scale` × its nominal size. */
export async function svgToPng(svg: string, scale = 2): Promise<Buffer> {
  return sharp(Buffer.from(svg), { density: 72 * scale }).flatten({ background: '#ffffff' }).png().toBuffer();
}
