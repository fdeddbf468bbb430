import { fstat, type Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { ProfileName } from '@magicport/protocol';
import type { Agent } from '../agent';
import { DmLogFeed } from './dm-log-feed';
import { followFile, TapInputError } from './file-follower';
import { TapLines, type OpenedFeed } from './tap-lines';
import { LineClock } from './line-clock';
import { LineSplitter } from './line-splitter';
import type { FeedContext } from './line-feed';
import { readStream, STDIN_PATH } from './stdin-reader';
import { StubdomConsoleFeed } from './stubdom-console-feed';
import { checkTapOptions, tapDmId, tapSource, type TapOptions } from './tap-options';
import { TapReport, type LineAt, type LineClass } from './tap-report';
import { PositionMarks, resumePoint } from './tap-position';
import { TraceFeed } from './trace-feed';
import type { TapFormat } from './format-detect';

export type TapAgent = Pick<Agent, 'instance' | 'release' | 'backlogBytes'> &
  Partial<Pick<Agent, 'sourcePosition' | 'streamNextSeq' | 'markSourcePosition'>>;

export interface TapProgress {
  lines: number;
  bytes: number;
  /** Size of the file when the tap began (null when it could not be read). */
  fileBytes: number | null;
  events: number;
  unparseable: number;
}

export interface TapHooks {
  /** Stops the tap: the instance records dm.stopped 'agent-stop' with the reason as detail. */
  signal?: AbortSignal;
  log?(message: string): void;
  onProgress?(progress: TapProgress): void;
  /** Each line's class as it is decided. */
  onLine?(at: LineAt, lineClass: LineClass | 'unparseable'): void;
  progressEveryMs?: number;
}

export interface TapResult extends OpenedFeed {
  dm: string;
  stoppedBy: 'end-of-file' | 'signal';
  report: TapReport;
}

/** Longer lines are skipped and reported: no trace event or qemu-dm line comes near it. */
export const MAX_LINE_BYTES = 64 * 1024;
const CHUNK_BYTES = 256 * 1024;

/**
 * Taps one QEMU trace or qemu-dm log into a device-model instance of `agent`: every line is
 * read, recorded or counted (unparseable lines with their numbers), never fatal. Ends at end of
 * file, or with `follow` when `hooks.signal` aborts; either way the instance records dm.stopped.
 */
export async function runTap(
  agent: TapAgent,
  options: TapOptions,
  hooks: TapHooks = {},
): Promise<TapResult> {
  const file = await checkTapInput(options);
  const log = hooks.log ?? (() => undefined);
  const dm = options.dm ?? tapDmId(options.host, options.vm, file);
  const report = new TapReport();
  report.onLine = hooks.onLine ?? null;
  const clock = new LineClock(options.originUs);
  // Where the last run's acknowledged input ended (see tap-position.ts); stdin has none.
  const resume =
    options.path === STDIN_PATH
      ? { offset: 0, line: 0, startSeq: undefined }
      : await resumePoint(agent, dm, options.path, log);
  const position = new PositionMarks(agent, dm, options.path, file, resume);
  const openFeed = (format: TapFormat, profile: ProfileName) => {
    const ctx: FeedContext = {
      clock,
      report,
      started: { value: false },
      open: (observe) =>
        agent.instance(
          { ...instanceOptions(options, dm, profile, format), startSeq: resume.startSeq },
          observe,
        ),
    };
    if (format === 'qemu-dm') return new DmLogFeed(ctx);
    if (format === 'qubes-stubdom') return new StubdomConsoleFeed(ctx, options.tz);
    return new TraceFeed(ctx);
  };
  const lines = new TapLines(options.format, report, log, openFeed, options.profile);
  const splitter = new LineSplitter(MAX_LINE_BYTES, (bytes, length) => {
    position.line(bytes, length);
    lines.line(bytes, length);
  });
  const progress = throttledProgress(
    hooks,
    report,
    options.follow || !file.isFile() ? null : file.size,
  );
  const reading =
    options.path === STDIN_PATH
      ? readStream(process.stdin, hooks.signal)
      : followFile(options.path, {
          follow: options.follow,
          pollMs: options.pollMs,
          chunkBytes: CHUNK_BYTES,
          signal: hooks.signal,
          startAt: resume.offset,
        });
  for await (const read of reading) {
    if (read.kind === 'data') {
      report.bytes += read.chunk.length;
      splitter.push(read.chunk);
      position.read(read.chunk.length, splitter.pendingBytes);
      progress();
      await keepPaceWithAgent(agent, options.maxBacklogBytes, hooks.signal);
      continue;
    }
    splitter.finish();
    await position.newFile();
    lines.newFile(read.kind);
    log(
      `${options.path}: ${read.kind === 'rotated' ? 'rotated' : 'truncated'}; reading the new file from its start`,
    );
  }
  const interrupted = hooks.signal?.aborted ?? false;
  if (!interrupted) splitter.finish();
  else if (splitter.pendingBytes > 0)
    log(
      `stopped before the end of an unfinished line (${splitter.pendingBytes} bytes not recorded)`,
    );
  const detail = interrupted
    ? `tap stopped (${String(hooks.signal?.reason ?? 'signal')})`
    : `end of file (${report.lines} lines)`;
  const opened = lines.end(clock.lastUs, detail);
  // Marked again after dm.stopped: a tap resumed here continues the stream after it.
  position.read(0, interrupted ? splitter.pendingBytes : 0);
  report.syntheticTimes = clock.synthetic;
  agent.release(dm);
  return {
    dm,
    ...opened,
    stoppedBy: interrupted ? 'signal' : 'end-of-file',
    report,
  };
}

/** Bad options or an unreadable path, before anything is opened (throws TapOptionsError / TapInputError). */
export async function checkTapInput(options: TapOptions): Promise<Stats> {
  checkTapOptions(options);
  // Standard input's identity: a redirected file's own, or a pipe's (new for every run).
  if (options.path === STDIN_PATH) return promisify(fstat)(0);
  const file = await stat(options.path).catch((error: NodeJS.ErrnoException) => {
    throw new TapInputError(`${options.path}: cannot open (${error.code ?? String(error)})`);
  });
  if (file.isDirectory())
    throw new TapInputError(`${options.path}: is a directory, not a log file`);
  return file;
}

function instanceOptions(options: TapOptions, dm: string, profile: ProfileName, format: TapFormat) {
  return {
    host: options.host,
    dm,
    vm: options.vm,
    domid: options.domid,
    profile,
    // The real device model decided what to answer; the tap never enforces anything.
    enforceBlacklist: false,
    idleGapMs: options.idleGapMs,
    logByteAccesses: options.logByteAccesses,
    source: tapSource(format, profile),
  };
}

/** Lets the journal writer and shipper run; holds back while delivery is far behind. */
async function keepPaceWithAgent(agent: TapAgent, maxBacklogBytes: number, signal?: AbortSignal) {
  await new Promise((resolve) => setImmediate(resolve));
  while (agent.backlogBytes > maxBacklogBytes && !signal?.aborted)
    await new Promise((resolve) => setTimeout(resolve, 20));
}

function throttledProgress(hooks: TapHooks, report: TapReport, fileBytes: number | null) {
  const every = hooks.progressEveryMs ?? 2_000;
  let last = Date.now();
  return () => {
    if (!hooks.onProgress || Date.now() - last < every) return;
    last = Date.now();
    hooks.onProgress({
      lines: report.lines,
      bytes: report.bytes,
      fileBytes,
      events: report.events,
      unparseable: report.unparseable,
    });
  };
}
