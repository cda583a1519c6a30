import 'reflect-metadata';

export { channelDirected, ChannelDirectedOptimizer, type NamedTensor } from './optimizer';
export { GradientHook, HOOK_RULES, HOOK_SETTINGS, type PreparedGradient } from './hook';
export { ChannelDirectedFactory, createHookContainer } from './di';
export { DEFAULT_RULES, assignRule, formatAssignments, matchName, ruleMatches, validateRules } from './rules';
export {
  ALL_CONVOLUTION_LAYERS, CONVOLUTION_KERNEL_ROLES, CONVOLUTION_LAYERS, DEPTHWISE_LAYERS, TRANSPOSED_CONVOLUTION_LAYERS,
  channelLayout, guessWeightInfo, indexModelWeights, weightRole, type ChannelLayout,
} from './layout';
export { sampleEvery } from './operators/sampleEvery';
export { layerGradientNorms, type LayerGradientNorm, type LayerGradientNorms } from './operators/layerGradientNorms';
export { updateSmoothness, type ChannelSmoothness, type UpdateSmoothness } from './operators/updateSmoothness';
export { nonFiniteCounts, type NonFiniteCount, type NonFiniteCounts } from './operators/nonFiniteCounts';
export type * from './types';
