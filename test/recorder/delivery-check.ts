import { expect } from 'vitest';
import type { FleetManifest } from '../../apps/device-model/src/simulate';
import type { DeliveredRecord } from '../support/recorder';

export interface Duplicate {
  id: string;
  /** Offsets of the first copy and of this one, `partition@offset`. */
  first: string;
  again: string;
  /** Whether its bytes equal the first copy's (a re-sent journal batch must be identical). */
  identical: boolean;
}

export interface DeliveryCheck {
  /** Distinct event ids delivered, counted by type. */
  eventsByType: Record<string, number>;
  distinct: number;
  duplicates: Duplicate[];
  /** Placement, order and gap problems, one line each; empty when every stream is sound. */
  problems: string[];
  /** Events delivered per dm (its next seq), for comparison with what the agent journaled. */
  streamLengths: Record<string, number>;
}

const at = (r: DeliveredRecord) => `${r.partition}@${r.offset}`;

/**
 * What the events topic holds for one run's device-model instances `dms`: every instance's
 * stream must be there from seq 0, gapless and in seq order (first copies, in offset order),
 * one guest's records on one partition under the key `vm`, and each id `{dm}:{seq}`.
 */
export function checkDelivery(
  records: readonly DeliveredRecord[],
  dms: ReadonlySet<string>,
): DeliveryCheck {
  const first = new Map<string, DeliveredRecord>();
  const duplicates: Duplicate[] = [];
  const problems: string[] = [];
  const nextSeq = new Map<string, number>();
  const partitionsOfVm = new Map<string, Set<number>>();
  const eventsByType: Record<string, number> = {};
  for (const r of records) {
    const { id, dm, seq, vm, type } = r.event;
    if (r.key !== vm) problems.push(`${id} at ${at(r)}: key ${r.key}, vm ${vm}`);
    if (id !== `${dm}:${seq}`) problems.push(`${id} at ${at(r)}: id is not {dm}:{seq}`);
    const partitions = partitionsOfVm.get(vm) ?? new Set<number>();
    partitionsOfVm.set(vm, partitions.add(r.partition));
    const earlier = first.get(id);
    if (earlier) {
      duplicates.push({
        id,
        first: at(earlier),
        again: at(r),
        identical: earlier.value.equals(r.value),
      });
      continue;
    }
    first.set(id, r);
    eventsByType[type] = (eventsByType[type] ?? 0) + 1;
    const expected = nextSeq.get(dm) ?? 0;
    if (seq !== expected) problems.push(`${dm}: seq ${seq} at ${at(r)} where ${expected} was due`);
    nextSeq.set(dm, Math.max(expected, seq + 1));
  }
  for (const [vm, partitions] of partitionsOfVm) {
    if (partitions.size > 1) problems.push(`vm ${vm} on partitions ${[...partitions].join(',')}`);
  }
  for (const dm of dms) if (!nextSeq.has(dm)) problems.push(`${dm}: nothing delivered`);
  return {
    eventsByType: sortKeys(eventsByType),
    distinct: first.size,
    duplicates,
    problems,
    streamLengths: sortKeys(Object.fromEntries(nextSeq)),
  };
}

function sortKeys(record: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * The run's events are on the topic exactly once, as its manifest counts them: sound streams
 * (no gap, order or placement problem), no duplicate id, the manifest's count per type.
 */
export function expectDeliveredOnce(
  check: DeliveryCheck,
  manifest: Pick<FleetManifest, 'eventsByType'>,
  label?: string,
): void {
  expect(check.problems, label).toEqual([]);
  expect(check.duplicates).toEqual([]);
  expect(check.eventsByType).toEqual(manifest.eventsByType);
}
