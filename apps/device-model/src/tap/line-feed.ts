import type { GuestEvent } from '@magicport/events';
import type { DeviceModelRecorder } from '../recorder';
import type { LineClock } from './line-clock';
import type { LineAt, TapReport } from './tap-report';

/** Turns the lines of one log format into what a device-model instance records. */
export interface LineFeed {
  line(text: string, at: LineAt): void;
  /** End of input: whatever a line left pending is recorded now. */
  flush(): void;
  readonly recorder: DeviceModelRecorder;
}

export interface FeedContext {
  /** Opens the device-model instance; `observe` sees each event it records. */
  open(observe: (event: GuestEvent) => void): DeviceModelRecorder;
  clock: LineClock;
  report: TapReport;
}
