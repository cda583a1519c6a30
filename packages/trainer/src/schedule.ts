import type { CommonTrainConfig } from './types';

export type ScheduleConfig = Pick<CommonTrainConfig, 'lrSchedule' | 'lrStepEpochs' | 'lrStepFactor' | 'epochs'>;

/**
 * The learning-rate multiplier for a 0-based epoch: `constant` 1; `step` factor^⌊epoch / N⌋ (the
 * paper: ×0.1 every 40 epochs); `cosine` ½(1 + cos(π·epoch / epochs)).
 */
export function learningRateFactor(cfg: ScheduleConfig, epoch: number): number {
  switch (cfg.lrSchedule) {
    case 'constant':
      return 1;
    case 'step':
      return Math.pow(cfg.lrStepFactor, Math.floor(epoch / cfg.lrStepEpochs));
    case 'cosine':
      return 0.5 * (1 + Math.cos((Math.PI * Math.min(epoch, cfg.epochs)) / cfg.epochs));
    default:
      throw new Error(`lrSchedule must be 'constant', 'step' or 'cosine', got ${String((cfg as { lrSchedule: unknown }).lrSchedule)}`);
  }
}

/** Sets an optimizer's learning rate: tfjs SGD/momentum need `setLearningRate` (they cache it in a tensor), the others read `learningRate`. */
export function setOptimizerLearningRate(optimizer: unknown, lr: number): void {
  const o = optimizer as { setLearningRate?: (lr: number) => void; learningRate?: number };
  if (typeof o.setLearningRate === 'function') o.setLearningRate(lr);
  else o.learningRate = lr;
}
