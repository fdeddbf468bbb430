import { PFFLAG_ROM_LOCK, PORT_MAGIC } from '../constants';
import type { DriverRun } from '../types';
import { outb } from './port-io';

/**
 * Xen ROMBIOS POST (tools/firmware/rombios): the platform flags byte at 0x10 is cleared to
 * make the ROM area 0xC0000-0xFFFFF writable, then PFFLAG_ROM_LOCK locks it again. These two
 * byte writes are how a real HVM boot's trace starts, before any driver runs.
 */
export function* rombiosPost(): DriverRun<void> {
  yield* outb(PORT_MAGIC, 0);
  yield* outb(PORT_MAGIC, PFFLAG_ROM_LOCK);
}
