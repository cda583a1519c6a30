export * from './types';
export * from './atomic';
export * from './fileIO';
export * from './checkpoint';
export * from './schedule';
export * from './progress';
export * from './optimizers';
export * from './trainer';
