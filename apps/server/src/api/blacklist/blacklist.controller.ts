import { Controller, Delete, Get, Header, HttpCode, Post, Req } from '@nestjs/common';
import type { Request } from 'express';
import {
  BlacklistCommandError,
  exportXenstore,
  parseXenstoreDump,
  resolveProduct,
  type BlacklistState,
  type BlacklistWriteResult,
} from '@magicport/blacklist';
import { blacklistKey } from '@magicport/protocol';
import {
  blacklistHits,
  blacklistHitSummary,
  buildPopulation,
  guestsOnBuild,
} from '@magicport/store';
import { ApiContext } from '../api-context';
import { page } from '../api-cursor';
import { ALL_TIME, chDay, chTime, checkRange, parseInput, productParam } from '../api-params';
import { badRequest } from '../api-problem';
import { cursorTimeKey } from '../fleet/fleet.controller';
import {
  BLACKLIST_ADD,
  BLACKLIST_EXPORT,
  BLACKLIST_HISTORY,
  BLACKLIST_HIT_SUMMARY,
  BLACKLIST_HITS,
  BLACKLIST_IMPACT,
  BLACKLIST_IMPORT,
  BLACKLIST_LIST,
  BLACKLIST_REMOVE,
} from './blacklist.routes';

const entriesOf = (state: BlacklistState) => [...state.entries.values()];

/** Blacklist management (event-sourced in libs/blacklist) and the audit of its hits. */
@Controller('api/v1/blacklist')
export class BlacklistController {
  constructor(private readonly api: ApiContext) {}

  @Get()
  async list(@Req() request: Request) {
    this.api.accept(BLACKLIST_LIST, request);
    const history = await this.api.blacklist.read();
    return { revision: history.revision, entries: entriesOf(history.current) };
  }

  @Post()
  @HttpCode(201)
  async add(@Req() request: Request) {
    const { actor } = this.api.accept(BLACKLIST_ADD, request);
    const body = parseInput(BLACKLIST_ADD.body, request.body, 'body');
    const result = await this.api.blacklist.execute({ kind: 'add', ...body, actor: actor! });
    return changeResult(result);
  }

  @Delete(':product/:build')
  async remove(@Req() request: Request) {
    const { query, actor } = this.api.accept(BLACKLIST_REMOVE, request);
    const params = parseInput(BLACKLIST_REMOVE.pathParams, request.params, 'query');
    const result = await this.api.blacklist.execute({
      kind: 'remove',
      ...params,
      reason: query.reason,
      actor: actor!,
    });
    return changeResult(result);
  }

  @Get('history')
  async history(@Req() request: Request) {
    const { query } = this.api.accept(BLACKLIST_HISTORY, request);
    const history = await this.api.blacklist.read();
    let asOf = null;
    if (query.asOf !== undefined) {
      if (query.asOf > history.revision) {
        throw badRequest(
          `asOf: the blacklist is at revision ${history.revision}; revision ${query.asOf} does not exist yet`,
          { parameter: 'asOf' },
        );
      }
      const state = history.asOf(query.asOf);
      asOf = { revision: state.revision, entries: entriesOf(state) };
    }
    return {
      revision: history.revision,
      changes: history.changes,
      voided: history.voided.length,
      asOf,
    };
  }

  @Get('hits')
  async hits(@Req() request: Request) {
    const { query } = this.api.accept(BLACKLIST_HITS, request);
    const from = chTime('from', query.from ?? ALL_TIME.from);
    const to = chTime('to', query.to ?? ALL_TIME.to);
    checkRange(from, to);
    const limit = query.limit ?? 100;
    const rows = await blacklistHits(
      this.api.store,
      {
        from,
        to,
        product: query.product === undefined ? undefined : productParam(query.product),
        build: query.build,
        host: query.host,
        vm: query.vm,
        result: query.result,
        revision: query.revision,
        after: query.cursor ? cursorTimeKey('blacklist-hits', query.cursor) : undefined,
        limit: limit + 1,
      },
      this.api.limits,
    );
    return page('blacklist-hits', rows, limit, (r) => [r.time, r.dm, r.seq]);
  }

  @Get('hits/summary')
  async summary(@Req() request: Request) {
    const { query } = this.api.accept(BLACKLIST_HIT_SUMMARY, request);
    const fromDay = chDay('from', query.from ?? ALL_TIME.from);
    const toDay = chDay('to', query.to ?? ALL_TIME.to);
    checkRange(fromDay, toDay);
    return blacklistHitSummary(
      this.api.store,
      {
        fromDay,
        toDay,
        product: query.product === undefined ? undefined : productParam(query.product),
        build: query.build,
      },
      this.api.limits,
    );
  }

  @Get('impact')
  async impact(@Req() request: Request) {
    const { query } = this.api.accept(BLACKLIST_IMPACT, request);
    const product = registered(query.product);
    const key = blacklistKey(product.number, query.build, 'spec')!;
    const [population, sample, history] = await Promise.all([
      buildPopulation(
        this.api.store,
        { product: product.number, build: query.build },
        this.api.limits,
      ),
      guestsOnBuild(
        this.api.store,
        { product: product.number, build: query.build, limit: query.limit ?? 100 },
        this.api.limits,
      ),
      this.api.blacklist.read(),
    ]);
    return {
      product: product.name,
      build: query.build,
      key,
      listed: history.current.entries.has(key),
      ...population,
      sample: sample.map((g) => ({
        vm: g.vm,
        host: g.host,
        lastSeen: g.lastSeen,
        result: g.result,
      })),
    };
  }

  @Post('import')
  @HttpCode(200)
  async import(@Req() request: Request) {
    const { actor } = this.api.accept(BLACKLIST_IMPORT, request);
    const body = parseInput(BLACKLIST_IMPORT.body, request.body, 'body');
    const parsed = parseXenstoreDump(body.dump);
    const history = await this.api.blacklist.read();
    const added: { key: string; revision: number | null }[] = [];
    const alreadyListed: string[] = [];
    const errors = [...parsed.errors];
    let revision = history.revision;
    for (const entry of parsed.entries) {
      let product: { name: string; number: number };
      try {
        product = resolveProduct(entry.product);
      } catch (err) {
        errors.push({ line: entry.line, reason: err instanceof Error ? err.message : String(err) });
        continue;
      }
      const key = blacklistKey(product.number, entry.build, 'spec')!;
      if (history.current.entries.has(key) || added.some((a) => a.key === key)) {
        alreadyListed.push(key);
        continue;
      }
      const reason = entry.value.trim() || body.reason || 'imported from xenstore';
      if (body.dryRun) {
        added.push({ key, revision: null });
        continue;
      }
      try {
        const result = await this.api.blacklist.execute({
          kind: 'add',
          product: product.name,
          build: entry.build,
          reason,
          actor: actor!,
        });
        revision = result.event.data.revision;
        added.push({ key, revision });
      } catch (err) {
        if (!(err instanceof BlacklistCommandError)) throw err;
        if (err.code === 'already-listed') alreadyListed.push(key);
        else errors.push({ line: entry.line, reason: err.message });
      }
    }
    return { added, alreadyListed, errors, revision };
  }

  @Get('export')
  @Header('Content-Type', 'text/plain; charset=utf-8')
  async export(@Req() request: Request) {
    const { query } = this.api.accept(BLACKLIST_EXPORT, request);
    const history = await this.api.blacklist.read();
    const entries = entriesOf(history.current).map((e) => ({
      product: e.product,
      build: e.build,
      value: e.reason,
    }));
    return exportXenstore(entries, {
      profile: query.profile ?? 'qemu-traditional',
      comment: `magicport blacklist revision ${history.revision}`,
    });
  }
}

function registered(product: string): { name: string; number: number } {
  const number = productParam(product);
  try {
    return resolveProduct(number);
  } catch (err) {
    throw badRequest(`product: ${err instanceof Error ? err.message : String(err)}`, {
      parameter: 'product',
    });
  }
}

function changeResult(result: BlacklistWriteResult) {
  const change = result.history.changes.find((c) => c.eventId === result.event.id)!;
  return {
    revision: result.event.data.revision,
    change,
    entries: entriesOf(result.history.current),
  };
}
