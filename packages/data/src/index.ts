// Each task's readers live in their own folder; this file only re-exports them.
export * from './common';
export * from './classification';
export * from './segmentation';
export * from './gan';
