// Fused channel filter for @tensorflow/tfjs-backend-cpu: reads the backend's Float32Array in place,
// writes one new output array.
import type * as tf from '@tensorflow/tfjs-core';
import { filterFibres, type FibreFilterParams } from '../fibre';
import { CHANNEL_FILTER_KERNEL } from './name';

/** The part of MathBackendCPU the kernel uses. */
interface CpuLikeBackend {
  data: { get(dataId: object): { values?: unknown } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Float32Array): tf.TensorInfo;
}

export function isCpuLikeBackend(b: unknown): boolean {
  const c = b as Partial<CpuLikeBackend> | null;
  return c != null && typeof c.makeTensorInfo === 'function' && c.data != null && typeof c.data.get === 'function';
}

function cpuChannelFilter({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: {}; attrs?: tf.NamedAttrMap }): tf.TensorInfo {
  const x = inputs.x as tf.TensorInfo;
  const cpu = backend as CpuLikeBackend;
  const values = cpu.data.get(x.dataId).values;
  const src = values instanceof Float32Array ? values : Float32Array.from(values as ArrayLike<number>);
  const dst = new Float32Array(src.length);
  filterFibres(src, dst, attrs as unknown as FibreFilterParams);
  return cpu.makeTensorInfo(x.shape.slice(), 'float32', dst);
}

export function cpuChannelFilterConfig(): tf.KernelConfig {
  return { kernelName: CHANNEL_FILTER_KERNEL, backendName: 'cpu', kernelFunc: cpuChannelFilter as tf.KernelFunc };
}
