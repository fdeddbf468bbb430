/**
 * Output of a device-model stubdomain's own system, as it appears in its console log (Qubes
 * `guest-NAME-dm.log`): never the guest's.
 *
 * - Mini-OS (the stubdomain of qemu-traditional): its boot banner and start_info dump
 *   (kernel.c), memory set-up (mm.c), threads (sched.c), frontends (blkfront.c, netfront.c ...),
 *   and its assertion lines.
 * - The Linux stubdomain (upstream QEMU, Qubes R4.1 onwards): the kernel's boot messages, the
 *   init script's shell trace (`set -x`), QMP traffic the script echoes, vchan-socket-proxy.
 *
 * The Linux kernel's messages have no common shape (printk times are usually off there): once
 * a Linux stubdomain is seen, every later line that is neither a trace event nor a guest
 * driver's shape is the device model's (see StubdomState): upstream QEMU never prints a guest
 * line except as a `xen_platform_log` trace event.
 */
const MINI_OS: readonly RegExp[] = [
  /^Xen Minimal OS!$/,
  /^Bootstrapping\.\.\.$/,
  /^\s*(?:start_info|nr_pages|shared_inf|pt_base|nr_pt_frames|mfn_list|mod_start|mod_len|flags|cmd_line|stack|_text|_etext|_erodata|_edata|stack start|_end|start_pfn|max_pfn):(?: |$)/,
  /^MM: (?:Init|done|Initialise page allocator for .+)$/,
  /^Mapping memory range 0x[0-9a-f]+ - 0x[0-9a-f]+$/,
  /^setting 0x[0-9a-f]+-0x[0-9a-f]+ readonly$/,
  /^skipped 0x[0-9a-f]+$/,
  /^(?:Demand map pfns|Heap resides) at [0-9a-f]+-[0-9a-f]+\.$/,
  /^Initialising (?:timer interface|scheduler|console|xenbus)\b/,
  /^Thread "[^"]*": pointer: /,
  /^Dummy main: /,
  /^\*+ (?:BLK|NET|CONS|PCI|FB|KBD)FRONT for \S+ \*+$/,
  /^\*{10,}$/,
  /^backend at \S+$/,
  /^Failed to read \S+\.$/,
  /^\d+ sectors of \d+ bytes$/,
  /^(?:blk|net|cons|pci|fb|kbd)front: /,
  /^gnttab_table mapped at /,
  /^MINI_OS\(file=\S+, line=\d+\) /,
  /^xenbus initialised on irq \d+ /,
];

const LINUX_BANNER = /^Linux version \S+/;
const LINUX_STUBDOM: readonly RegExp[] = [
  LINUX_BANNER,
  // printk with its time on
  /^\[\s*\d+\.\d{6}\] /,
  // the init script's shell trace
  /^\+{1,4} \S/,
  // QMP the init script echoes
  /^\{"(?:QMP|execute|return|error|timestamp|event)":/,
  /^written \d+ bytes to vchan$/,
  /^qemu-system-\w+: /,
];

/** xenconsoled's own line at the start of a log file (and after it reopens it). */
const CONSOLE_DAEMON = /^Logfile Opened$/;

export type StubdomKind = 'linux' | 'mini-os';

/** A line of the stubdomain's own system (Mini-OS, the Linux stubdomain, the console daemon). */
export function isStubdomLine(line: string): boolean {
  return (
    CONSOLE_DAEMON.test(line) ||
    MINI_OS.some((pattern) => pattern.test(line)) ||
    LINUX_STUBDOM.some((pattern) => pattern.test(line))
  );
}

/**
 * Which stubdomain a console log is showing, learnt from lines only that stubdomain prints:
 * Mini-OS's banner; the Linux kernel's banner, a shell trace or QMP (Mini-OS has neither).
 * A reopened log ("Logfile Opened") may hold a new stubdomain: nothing is known until it shows.
 */
export class StubdomState {
  kind: StubdomKind | null = null;

  see(line: string): void {
    if (CONSOLE_DAEMON.test(line)) this.kind = null;
    else if (MINI_OS[0]!.test(line) || MINI_OS[1]!.test(line)) this.kind = 'mini-os';
    else if (LINUX_STUBDOM.slice(0, 4).some((pattern) => pattern.test(line))) this.kind = 'linux';
  }
}
