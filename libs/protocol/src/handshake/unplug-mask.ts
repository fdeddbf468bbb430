import {
  UNPLUG_ALL_NICS,
  UNPLUG_AUX_IDE_DISKS,
  UNPLUG_IDE_SCSI_DISKS,
  UNPLUG_NVME_DISKS,
} from '../constants';
import type { UnplugDevices } from '../types';

/** The devices a mask asks to unplug, by the current spec's bit meanings (bits >= 4 mean nothing). */
export function unplugDevices(mask: number): UnplugDevices {
  return {
    ideScsiDisks: (mask & UNPLUG_IDE_SCSI_DISKS) !== 0,
    nics: (mask & UNPLUG_ALL_NICS) !== 0,
    auxIdeDisks: (mask & UNPLUG_AUX_IDE_DISKS) !== 0,
    nvmeDisks: (mask & UNPLUG_NVME_DISKS) !== 0,
  };
}

/** Human names of the set bits, e.g. "ide-scsi-disks, nics" (for timelines). */
export function describeMask(mask: number): string {
  const names: string[] = [];
  if (mask & UNPLUG_IDE_SCSI_DISKS) names.push('ide-scsi-disks');
  if (mask & UNPLUG_ALL_NICS) names.push('nics');
  if (mask & UNPLUG_AUX_IDE_DISKS) names.push('aux-ide-disks');
  if (mask & UNPLUG_NVME_DISKS) names.push('nvme-disks');
  if (mask & ~0xf) names.push(`unknown bits 0x${(mask & ~0xf).toString(16)}`);
  return names.length === 0 ? 'nothing' : names.join(', ');
}
