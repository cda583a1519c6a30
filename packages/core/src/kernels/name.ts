/** Kernel name of the fused channel filter (attrs: FibreFilterParams; input: `x`, float32). */
export const CHANNEL_FILTER_KERNEL = 'CdgChannelFilter';
