import { PROFILES, type ProfileName } from '../types';
import { NOTHING_BLACKLISTED, type DeviceModel, type DeviceModelOptions } from './device-model';
import { TraditionalDeviceModel } from './traditional-device-model';
import { UpstreamDeviceModel } from './upstream-device-model';

/** Throws a RangeError for an unknown profile: options come from code or config, not the guest. */
export function createDeviceModel(options: DeviceModelOptions = {}): DeviceModel {
  const profile = checkProfile(options.profile ?? 'spec');
  const lookup = options.blacklist ?? NOTHING_BLACKLISTED;
  switch (profile) {
    case 'spec':
      return new UpstreamDeviceModel('spec', lookup, options.enforceBlacklist === true);
    case 'qemu-upstream':
      return new UpstreamDeviceModel('qemu-upstream', lookup, false);
    case 'qemu-traditional':
      return new TraditionalDeviceModel(lookup);
  }
}

export function checkProfile(profile: unknown): ProfileName {
  if (PROFILES.includes(profile as ProfileName)) return profile as ProfileName;
  throw new RangeError(
    `unknown device-model profile ${JSON.stringify(profile)} (expected one of ${PROFILES.join(', ')})`,
  );
}
