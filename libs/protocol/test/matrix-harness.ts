import { describe, expect, it } from 'vitest';
import {
  createGuestSession,
  runDriver,
  type DriverRun,
  type HandshakeOutcome,
  type ProfileName,
} from '@magicport/protocol';

/** The outcome fields each matrix cell pins down. */
export type Expected = Pick<
  HandshakeOutcome,
  | 'result'
  | 'protocolVersion'
  | 'product'
  | 'build'
  | 'blacklisted'
  | 'blacklistKey'
  | 'mask'
  | 'maskWrites'
  | 'unplugApplied'
  | 'violations'
>;

export type Cell = Expected[];

/**
 * The cells of one profile, in this order:
 * [not listed, not listed + enforcement, listed, listed + enforcement].
 */
export type ProfileRow = readonly [Cell, Cell, Cell, Cell];

export interface MatrixVariant {
  name: string;
  run: () => DriverRun<unknown>;
  /**
   * The blacklist of the "listed" cells: exactly the key the driver's product/build maps to,
   * or `everything` for drivers that send no product (any key the device model might look up
   * is listed, and still nothing may be blacklisted).
   */
  listed: readonly string[] | 'everything';
  cells: Record<ProfileName, ProfileRow>;
}

const COLUMNS = [
  { listed: false, enforce: false },
  { listed: false, enforce: true },
  { listed: true, enforce: false },
  { listed: true, enforce: true },
] as const;

function pick(h: HandshakeOutcome): Expected {
  const { result, protocolVersion, product, build, blacklisted, blacklistKey } = h;
  const { mask, maskWrites, unplugApplied, violations } = h;
  return {
    result,
    protocolVersion,
    product,
    build,
    blacklisted,
    blacklistKey,
    mask,
    maskWrites,
    unplugApplied,
    violations,
  };
}

/** One fresh device model per cell: the driver runs once, then the device model stops. */
function runCell(
  variant: MatrixVariant,
  profile: ProfileName,
  listed: boolean,
  enforce: boolean,
): Expected[] {
  const keys = variant.listed;
  const blacklist = !listed
    ? () => false
    : keys === 'everything'
      ? () => true
      : (key: string) => keys.includes(key);
  const handshakes: Expected[] = [];
  const session = createGuestSession(
    { profile, blacklist, enforceBlacklist: enforce },
    { handshake: (h) => handshakes.push(pick(h)) },
  );
  const trace = runDriver(variant.run(), session, { stepUs: 10 });
  session.stop(trace.endUs);
  return handshakes;
}

export function describeMatrix(title: string, variants: readonly MatrixVariant[]): void {
  describe(title, () => {
    for (const variant of variants) {
      for (const [profile, row] of Object.entries(variant.cells) as [ProfileName, ProfileRow][]) {
        COLUMNS.forEach(({ listed, enforce }, column) => {
          const expected = row[column];
          if (expected === undefined) return;
          const cell = `${listed ? 'listed' : 'not listed'}, enforcement ${enforce ? 'on' : 'off'}`;
          it(`${variant.name} | ${profile} | ${cell}`, () => {
            expect(runCell(variant, profile, listed, enforce)).toEqual(expected);
          });
        });
      }
    }
  });
}
