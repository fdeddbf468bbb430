/**
 * qemu-xen-traditional's own output, as matchers written from the printf formats in its source
 * (file named on each group) and from distribution patches. A line matching one of these was
 * printed by the device model, not by the guest. qemu-dm prints a guest's line verbatim with
 * `"%s\n"`, so a guest can still print any of these itself: nothing in the log tells them apart.
 *
 * `PLATFORM_MESSAGES` (hw/xen_platform.c) are also the evidence that a file is a qemu-dm log;
 * the others may appear in other QEMUs' output too (upstream kept some), so they only classify.
 */

const HEX = '[0-9a-fA-F]+';

/** hw/xen_platform.c: the platform device's messages besides product/build/blacklist. */
export const PLATFORM_MESSAGES: readonly RegExp[] = [
  /^platform_fixed_ioport: changed ro\/rw state of ROM memory area\. now is r[ow] state\.$/,
  /^platform_fixed_ioport: unable to change ro\/rw state of ROM memory area!$/,
  /^log_throttling (?:disabled|enabled)$/,
  /^tried to get \d+ tokens, but bucket size is \d+$/,
  /^Warning: attempted (?:read from|write of 0x[0-9a-f]+ to) physical address 0x[0-9a-f]+ in xen platform mmio space$/,
  /^(?:Register xen platform|Done register platform)\.$/,
];

/** The rest of qemu-dm: start-up, xenstore, ioreq handling, map cache, VGA, PCI, pass-through. */
const QEMU_DM_MESSAGES: readonly RegExp[] = [
  // vl.c, qemu-char.c
  /^domid: \d+$/,
  /^char device redirected to \S+$/,
  /^unused (?:in|out)[bwl]: port=0x[0-9a-f]{4}(?: data=0x[0-9a-f]+)?$/,
  /^qemu: /,
  /^(?:Could not calibrate ticks|Dynamic Ticks disabled|Bad clock read)$/,
  /^Could not configure '\/dev\/(?:hpet|rtc)' to have a 1024 ?Hz timer\./,
  // xenstore.c
  /^Using file .+ in read-(?:only|write) mode$/,
  /^Using .+ for guest's hd[a-z]$/,
  /^Watching \S+$/,
  /^Guest uuid = [0-9a-fA-F-]+$/,
  /^target = \S+$/,
  /^Strip off blktap sub-type prefix to /,
  /^medium change watch on `[^']*' /,
  /^Log-dirty(?: command|:) /,
  /^dm-command: /,
  /^xs_(?:read|write|get_domain_path|rm)\b.*(?:error|failed)/,
  /^xenstore_\w+(?:\(\))?[: ]/,
  /^Could not contact xenstore for domain config$/,
  /^couldn't find disk to eject\.$/,
  /^vcpu-set: /,
  /^Notifying OS about CPU hotplug changes\.$/,
  /^write console item \S+ \(\S+\) failed$/,
  /^can't store dev \S+ name for domid \d+ /,
  // i386-dm/helper2.c
  /^Time offset set -?\d+(?:, added offset -?\d+)?$/,
  /^Issued domain \d+ (?:reboot|poweroff)$/,
  /^I\/O request not ready: /,
  /^Badness in I\/O request \.\.\. not in service\?!: /,
  /^(?:shutdown|reset) requested in cpu_handle_ioreq\.?$/,
  /^device model saving state$/,
  /^(?:inp|outp): bad size: /,
  /^(?:PIO|MMIO): bad size \(\d+\)$/,
  /^bind interdomain ioctl error -?\d+$/,
  /^failed to get HVM_PARAM_BUFIOREQ_EVTCHN error=/,
  /^Fatal error while trying to get io event!$/,
  /^A20 update: a20=\d+$/,
  // hw/xen_machine_fv.c (map cache, ioreq pages)
  new RegExp(`^qemu_map_cache_init nr_buckets = ${HEX} size \\d+$`),
  new RegExp(`^(?:shared page|buffered io page|buffered pio page) at pfn ${HEX}$`),
  /^map (?:shared IO|buffered IO|buffered PIO) page returned error -?\d+$/,
  /^(?:unmap fails|xc_map_foreign_bulk error|malloc returned error) -?\d+$/,
  /^Trying to unmap address \S+ that is not in the mapcache!$/,
  // hw/vga.c, hw/cirrus_vga.c
  new RegExp(`^(?:populating video RAM at|mapping video RAM from) ${HEX}$`),
  new RegExp(`^mapping vram to ${HEX} - ${HEX}$`),
  /^cirrus vga map change while on lfb mode$/,
  /^vga s->lfb_addr = /,
  /^track_dirty_vram\(/,
  /^Failed to (?:populate video ram$|map vram )/,
  // hw/pci.c, i386-dm/exec-dm.c, hw/pc.c, hw/piix4acpi.c, xen-vl-extra.c
  new RegExp(`^region type \\d+ at \\[${HEX},${HEX}\\)\\.$`),
  new RegExp(`^squash iomem \\[${HEX}, ${HEX}\\)\\.$`),
  /^too many mmio regions$/,
  /^Error: Initialization failed for pass-through devices$/,
  /^ACPI PCI hotplug: /,
  /^(?:Add|Remove) vcpu \d+$/,
  /^hot (?:remove|insert): /,
  /^(?:Failed to open savevm file|Error -?\d+ while (?:writing|loading) (?:VM to )?savevm file) /,
  /^Could not open VM state file$/,
  // hw/pass-through.c, hw/pt-msi.c, hw/pt-graphics.c: PT_LOG/PT_ERR print "<function>: "
  /^pt_\w+: /,
  /^(?:register_real_device|unregister_real_device|power_on_php_slot|power_off_php_slot|pci_pt_init|pt_init|insert_to_pci_slot|insert_to_php_slot|pci_parse_devs|pt_pci_(?:read|write)_config|pt_iomem_map|pt_ioport_map): /,
  // hw/xen_backend.c: xen_be_printf
  /^xen be(?: core)?: /,
];

/**
 * Distribution patches of qemu-dm: Qubes' GUI agent in the stubdomain (fprintf(stderr,
 * "qubes_gui/init: %d\n", __LINE__) and friends), XenServer's platform device (its UNPLUG
 * messages; win-pv's own "UNPLUG: PRE-AMBLE/DISKS/NICS" lines are the guest's, see
 * guest-line-shapes.ts).
 */
const DISTRIBUTION_MESSAGES: readonly RegExp[] = [
  /^qubes_gui\/init(?:\[\d+\])?: /,
  /^qubes_gui: /,
  /^configure msg, x\/y -?\d+ -?\d+ \(was -?\d+ -?\d+\), w\/h \d+ \d+$/,
  /^UNPLUG: protocol \d+ active$/,
  /^UNPLUG: product_id: \d+ build_number: \d+$/,
  /^UNPLUG: drivers (?:not )?blacklisted$/,
];

export function isPlatformMessage(line: string): boolean {
  return PLATFORM_MESSAGES.some((pattern) => pattern.test(line));
}

/** One of qemu-dm's own messages (any source file) or a distribution patch's. */
export function isDeviceModelMessage(line: string): boolean {
  return (
    isPlatformMessage(line) ||
    QEMU_DM_MESSAGES.some((pattern) => pattern.test(line)) ||
    DISTRIBUTION_MESSAGES.some((pattern) => pattern.test(line))
  );
}
