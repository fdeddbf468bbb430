import { Controller, Get, Req } from '@nestjs/common';
import type { Request } from 'express';
import { guestHandshakes, guestLogs, type GuestLogRow } from '@magicport/store';
import { ApiContext } from '../api-context';
import { page } from '../api-cursor';
import { chTime, checkRange, parseInput } from '../api-params';
import { cursorTimeKey } from '../fleet/fleet.controller';
import { GUEST_HANDSHAKES, GUEST_LOGS, GUEST_REPLAY, LOG_SEARCH } from './guests.routes';
import { replayBoot } from './replay.service';

/** One guest: its handshakes, their replay, its log lines; and log search across the fleet. */
@Controller('api/v1')
export class GuestsController {
  constructor(private readonly api: ApiContext) {}

  @Get('guests/:vm/handshakes')
  async handshakes(@Req() request: Request) {
    const { query } = this.api.accept(GUEST_HANDSHAKES, request);
    const { vm } = parseInput(GUEST_HANDSHAKES.pathParams, request.params, 'query');
    const limit = query.limit ?? 100;
    const rows = await guestHandshakes(
      this.api.store,
      {
        vm,
        boot: query.boot,
        after: query.cursor ? cursorTimeKey('guest-handshakes', query.cursor) : undefined,
        limit: limit + 1,
      },
      this.api.limits,
    );
    return page('guest-handshakes', rows, limit, (r) => [r.endTime, r.dm, r.seq]);
  }

  @Get('guests/:vm/replay')
  async replay(@Req() request: Request) {
    const { query } = this.api.accept(GUEST_REPLAY, request);
    const { vm } = parseInput(GUEST_REPLAY.pathParams, request.params, 'query');
    return replayBoot(this.api, { vm, ...query });
  }

  @Get('guests/:vm/logs')
  async logs(@Req() request: Request) {
    const { query } = this.api.accept(GUEST_LOGS, request);
    const { vm } = parseInput(GUEST_LOGS.pathParams, request.params, 'query');
    const from = query.from === undefined ? undefined : chTime('from', query.from);
    const to = query.to === undefined ? undefined : chTime('to', query.to);
    if (from && to) checkRange(from, to);
    const limit = query.limit ?? 100;
    const rows = await guestLogs(
      this.api.store,
      {
        vm,
        boot: query.boot,
        from,
        to,
        grep: query.grep,
        attribution: attributionFilter(query.attribution),
        after: query.cursor ? cursorTimeKey('guest-logs', query.cursor) : undefined,
        limit: limit + 1,
      },
      this.api.limits,
    );
    const items = await this.withHandshakes(vm, rows);
    return page('guest-logs', items, limit, (r) => [r.time, r.dm, r.seq]);
  }

  @Get('logs/search')
  async search(@Req() request: Request) {
    const { query } = this.api.accept(LOG_SEARCH, request);
    const to = chTime('to', query.to ?? new Date().toISOString().replace(/\.\d+Z$/, 'Z'));
    const from = query.from === undefined ? shiftDay(to, -1) : chTime('from', query.from);
    checkRange(from, to);
    const limit = query.limit ?? 100;
    const rows = await guestLogs(
      this.api.store,
      {
        from,
        to,
        contains: query.q,
        host: query.host,
        attribution: attributionFilter(query.attribution),
        after: query.cursor ? cursorTimeKey('log-search', query.cursor) : undefined,
        limit: limit + 1,
      },
      this.api.limits,
    );
    return page(
      'log-search',
      rows.map((r) => ({ ...r, handshake: null })),
      limit,
      (r) => [r.time, r.dm, r.seq],
    );
  }

  /** Each line's handshake context (result, product, build) from the guest's handshakes. */
  private async withHandshakes(vm: string, rows: GuestLogRow[]) {
    const ids = new Set(rows.map((r) => r.handshakeId).filter((id): id is string => id !== null));
    const context = new Map<
      string,
      { result: string; product: string | null; build: number | null }
    >();
    if (ids.size > 0) {
      const boots = [...new Set(rows.map((r) => r.boot))];
      for (const boot of boots) {
        const hs = await guestHandshakes(
          this.api.store,
          { vm, boot, limit: 100_000 },
          this.api.limits,
        );
        for (const h of hs) {
          if (ids.has(h.handshakeId)) {
            context.set(h.handshakeId, {
              result: h.result,
              product: h.product?.name ?? (h.product ? `#${h.product.number}` : null),
              build: h.build,
            });
          }
        }
      }
    }
    return rows.map((r) => ({
      ...r,
      handshake: r.handshakeId === null ? null : (context.get(r.handshakeId) ?? null),
    }));
  }
}

/** `all` (the default) filters nothing; each line shows its attribution. */
function attributionFilter(value: 'guest' | 'unattributed' | 'all' | undefined) {
  return value === 'all' ? undefined : value;
}

function shiftDay(chText: string, days: number): string {
  const ms = Date.parse(`${chText.slice(0, 19).replace(' ', 'T')}Z`) + days * 86_400_000;
  const iso = new Date(Math.max(0, ms)).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${chText.slice(19)}`;
}
