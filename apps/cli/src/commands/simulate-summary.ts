import Table from 'cli-table3';
import type { FleetManifest } from '@magicport/device-model';
import { tableStyle } from '../output';

export interface SummaryContext {
  target: string;
  generatedMs: number;
  deliveredMs: number;
  /** Set when SIGINT stopped the run early. */
  interrupted: { guestsDone: number } | null;
  /** Colour in the tables (a terminal without NO_COLOR). */
  colour: boolean;
}

/** The tables `magicport simulate` prints: results, blacklist hits, events by type. */
export function simulateSummary(m: FleetManifest, c: SummaryContext): string {
  const rate = (ms: number) =>
    Math.round(m.totalEvents / Math.max(0.001, ms / 1000)).toLocaleString('en-US');
  const style = tableStyle(c.colour);
  const results = new Table({ head: ['handshake result', 'count'], style });
  for (const [result, count] of Object.entries(m.handshakeResults)) results.push([result, count]);
  const hits = new Table({
    head: ['blacklist key', 'handshakes', 'guests', 'honoured', 'ignored'],
    style,
  });
  for (const [key, h] of Object.entries(m.blacklistHits))
    hits.push([key, h.handshakes, h.guests, h.honoured, h.ignored]);
  const events = new Table({ head: ['event type', 'count'], style });
  for (const [type, count] of Object.entries(m.eventsByType)) events.push([type, count]);
  return [
    ...(c.interrupted
      ? [`Interrupted after ${c.interrupted.guestsDone} of ${m.guests} guests.`]
      : []),
    `Simulated ${c.interrupted ? c.interrupted.guestsDone : m.guests} guests on ${m.hosts} hosts, ${m.boots} boots each (seed ${m.seed}), into ${c.target}.`,
    `${m.totalEvents.toLocaleString('en-US')} events: generated in ${(c.generatedMs / 1000).toFixed(1)} s (${rate(c.generatedMs)}/s), delivered in ${(c.deliveredMs / 1000).toFixed(1)} s (${rate(c.deliveredMs)}/s).`,
    results.toString(),
    hits.toString(),
    events.toString(),
    '',
  ].join('\n');
}
