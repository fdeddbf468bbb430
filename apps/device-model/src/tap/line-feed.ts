import type { GuestEvent } from '@magicport/events';
import type { DeviceModelRecorder } from '../recorder';
import type { LineClock } from './line-clock';
import type { LineAt, TapReport } from './tap-report';

/** Turns the lines of one log format into what a device-model instance records. */
export interface LineFeed {
  /** `prefixUs`: the time a prefix outside the text gave the line (a console log's), if any. */
  line(text: string, at: LineAt, prefixUs?: number | null): void;
  /** End of input: whatever a line left pending is recorded now. */
  flush(): void;
  readonly recorder: DeviceModelRecorder;
}

export interface FeedContext {
  /** Opens the device-model instance; `observe` sees each event it records. */
  open(observe: (event: GuestEvent) => void): DeviceModelRecorder;
  clock: LineClock;
  report: TapReport;
  /** The tap's one instance has recorded dm.started (feeds sharing it start it once). */
  started: { value: boolean };
}
