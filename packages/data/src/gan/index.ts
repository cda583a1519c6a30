// Label-map → image datasets for the GAN task: Cityscapes and synthetic street scenes.
export * from './types';
export { instanceEdges } from './edges';
export { syntheticStreetScenes, renderStreetScene, SYNTHETIC_STREET_CLASSES } from './synthetic';
export type { SyntheticStreetOptions } from './synthetic';
export { openCityscapes, CITYSCAPES_CLASSES } from './cityscapes';
export type { CityscapesOptions } from './cityscapes';
