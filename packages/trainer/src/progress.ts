import { SingleBar } from 'cli-progress';

/** Progress of one epoch: a bar with ETA on a TTY, plain lines (about ten per epoch) otherwise, or nothing. */
export interface ProgressReporter {
  start(epoch: number, epochs: number, total: number): void;
  update(done: number, values: Record<string, number>): void;
  stop(): void;
}

export type ProgressMode = 'auto' | 'bar' | 'plain' | 'none';

function fmt(values: Record<string, number>): string {
  return Object.entries(values)
    .map(([k, v]) => `${k} ${Number.isFinite(v) ? (Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(4)) : String(v)}`)
    .join(' ');
}

function eta(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

class BarProgress implements ProgressReporter {
  private bar: SingleBar | null = null;
  constructor(private readonly stream: NodeJS.WriteStream) {}
  start(epoch: number, epochs: number, total: number): void {
    this.bar = new SingleBar({
      format: `epoch ${epoch + 1}/${epochs} [{bar}] {value}/{total} | ETA {eta_formatted} | {info}`,
      stream: this.stream,
      hideCursor: false,
      etaBuffer: 50,
      clearOnComplete: false,
    });
    this.bar.start(total, 0, { info: '' });
  }
  update(done: number, values: Record<string, number>): void {
    this.bar?.update(done, { info: fmt(values) });
  }
  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}

class PlainProgress implements ProgressReporter {
  private t0 = 0;
  private total = 0;
  private every = 1;
  private label = '';
  constructor(private readonly log: (m: string) => void) {}
  start(epoch: number, epochs: number, total: number): void {
    this.t0 = Date.now();
    this.total = total;
    this.every = Math.max(1, Math.ceil(total / 10));
    this.label = `epoch ${epoch + 1}/${epochs}`;
  }
  update(done: number, values: Record<string, number>): void {
    if (done % this.every !== 0 && done !== this.total) return;
    const sec = (Date.now() - this.t0) / 1000;
    const rate = done / Math.max(sec, 1e-9);
    this.log(`${this.label} step ${done}/${this.total} ${fmt(values)} | ${rate.toFixed(2)} steps/s | ETA ${eta((this.total - done) / rate)}`);
  }
  stop(): void {}
}

class NoProgress implements ProgressReporter {
  start(): void {}
  update(): void {}
  stop(): void {}
}

/** `auto`: the bar when stderr is a TTY, plain lines otherwise. */
export function createProgress(mode: ProgressMode, log: (m: string) => void, stream: NodeJS.WriteStream = process.stderr): ProgressReporter {
  if (mode === 'none') return new NoProgress();
  if (mode === 'bar' || (mode === 'auto' && stream.isTTY)) return new BarProgress(stream);
  return new PlainProgress(log);
}
