import { Controller, Get, Req } from '@nestjs/common';
import type { Request } from 'express';
import { blacklistKey } from '@magicport/protocol';
import {
  buildPopulation,
  emulatedGuests,
  fleetBuilds,
  guestsOnBuild,
  rollout,
  unknownProducts,
} from '@magicport/store';
import { ApiContext } from '../api-context';
import { decodeCursor, page } from '../api-cursor';
import { ALL_TIME, chDay, chTime, checkRange, productParam } from '../api-params';
import { badRequest } from '../api-problem';
import {
  FLEET_BUILDS,
  FLEET_EMULATED,
  FLEET_GUESTS,
  FLEET_ROLLOUT,
  FLEET_UNKNOWN_PRODUCTS,
} from './fleet.routes';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Fleet driver builds: which products and builds run where, since when, and who is still emulated. */
@Controller('api/v1/fleet')
export class FleetController {
  constructor(private readonly api: ApiContext) {}

  @Get('builds')
  async builds(@Req() request: Request) {
    const { query } = this.api.accept(FLEET_BUILDS, request);
    const from = chTime('from', query.from ?? ALL_TIME.from);
    const to = chTime('to', query.to ?? ALL_TIME.to);
    checkRange(from, to);
    const limit = query.limit ?? 100;
    const after = query.cursor
      ? decodeCursor('fleet-builds', query.cursor, ['number', 'number'])
      : undefined;
    const [rows, blacklist] = await Promise.all([
      fleetBuilds(
        this.api.store,
        {
          from,
          to,
          host: query.host,
          product: query.product === undefined ? undefined : productParam(query.product),
          build: query.build,
          after: after ? { product: after[0] as number, build: after[1] as number } : undefined,
          limit: limit + 1,
        },
        this.api.limits,
      ),
      this.api.blacklist.read(),
    ]);
    const listed = blacklist.current.entries;
    const isListed = (product: number, build: number) =>
      [blacklistKey(product, build, 'spec'), blacklistKey(product, build, 'qemu-traditional')].some(
        (key) => key !== null && listed.has(key),
      );
    const items = rows.map((r) => ({ ...r, blacklistedNow: isListed(r.product, r.build) }));
    return page('fleet-builds', items, limit, (r) => [r.product, r.build]);
  }

  @Get('rollout')
  async rollout(@Req() request: Request) {
    const { query } = this.api.accept(FLEET_ROLLOUT, request);
    const fromDay = chDay('from', query.from ?? ALL_TIME.from);
    const toDay = chDay('to', query.to ?? ALL_TIME.to);
    checkRange(fromDay, toDay);
    const rows = await rollout(
      this.api.store,
      { fromDay, toDay, product: productParam(query.product), build: query.build },
      this.api.limits,
    );
    return {
      items: rows.map((r) => ({ ...r, share: r.fleetGuests === 0 ? 0 : r.guests / r.fleetGuests })),
    };
  }

  @Get('guests')
  async guests(@Req() request: Request) {
    const { query } = this.api.accept(FLEET_GUESTS, request);
    const limit = query.limit ?? 100;
    const product = productParam(query.product);
    const afterVm = query.cursor ? cursorVm('fleet-guests', query.cursor) : undefined;
    const [rows, population] = await Promise.all([
      guestsOnBuild(
        this.api.store,
        { product, build: query.build, host: query.host, afterVm, limit: limit + 1 },
        this.api.limits,
      ),
      buildPopulation(this.api.store, { product, build: query.build }, this.api.limits),
    ]);
    return { ...page('fleet-guests', rows, limit, (r) => [r.vm]), ...population };
  }

  @Get('emulated')
  async emulated(@Req() request: Request) {
    const { query } = this.api.accept(FLEET_EMULATED, request);
    const limit = query.limit ?? 100;
    const afterVm = query.cursor ? cursorVm('fleet-emulated', query.cursor) : undefined;
    const rows = await emulatedGuests(
      this.api.store,
      { host: query.host, reason: query.reason, afterVm, limit: limit + 1 },
      this.api.limits,
    );
    return page('fleet-emulated', rows, limit, (r) => [r.vm]);
  }

  @Get('unknown-products')
  async unknownProducts(@Req() request: Request) {
    const { query } = this.api.accept(FLEET_UNKNOWN_PRODUCTS, request);
    const from = chTime('from', query.from ?? ALL_TIME.from);
    const to = chTime('to', query.to ?? ALL_TIME.to);
    checkRange(from, to);
    return { items: await unknownProducts(this.api.store, { from, to }, this.api.limits) };
  }
}

export function cursorVm(tag: string, cursor: string): string {
  const [vm] = decodeCursor(tag, cursor, ['string']) as [string];
  if (!UUID.test(vm))
    throw badRequest('cursor: not a cursor this endpoint returned', { parameter: 'cursor' });
  return vm;
}

/** A (time, dm, seq) cursor with its time checked, for the keyset of time-ordered lists. */
export function cursorTimeKey(
  tag: string,
  cursor: string,
): { time: string; dm: string; seq: number } {
  const [time, dm, seq] = decodeCursor(tag, cursor, ['string', 'string', 'number']) as [
    string,
    string,
    number,
  ];
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/.test(time)) {
    throw badRequest('cursor: not a cursor this endpoint returned', { parameter: 'cursor' });
  }
  return { time: chTime('cursor', time.replace(/(\.\d{6})Z$/, '$1Z')), dm, seq };
}
