export * from './models';
export * from './adapter';
export * from './task';
