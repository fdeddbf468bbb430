import type { CallOptions, ClickHouseStore, InsertOptions, QueryParams } from '@magicport/store';

/**
 * A fault-injecting wrapper around a real store: while `down`, every call fails as an
 * unreachable ClickHouse would (before reaching it); otherwise calls go through unchanged.
 * With `swallowInserts` (for controls), an insert while down is dropped and reported done
 * instead: what a caller that took a failed insert for a stored one would leave behind.
 */
export class FaultyStore implements ClickHouseStore {
  down = false;
  swallowInserts = false;
  /** Calls refused while down. */
  refused = 0;
  /** Inserts dropped while down with `swallowInserts`. */
  swallowed = 0;

  constructor(private readonly real: ClickHouseStore) {}

  get mode() {
    return this.real.mode;
  }
  get database() {
    return this.real.database;
  }
  get target() {
    return this.real.target;
  }

  private gate(): void {
    if (this.down) {
      this.refused++;
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8123 (injected fault)'), {
        code: 'ECONNREFUSED',
      });
    }
  }

  async query<T = Record<string, unknown>>(
    sql: string,
    params?: QueryParams,
    options?: CallOptions,
  ) {
    this.gate();
    return this.real.query<T>(sql, params, options);
  }
  async command(sql: string, params?: QueryParams, options?: CallOptions) {
    this.gate();
    return this.real.command(sql, params, options);
  }
  private swallow(): boolean {
    if (this.down && this.swallowInserts) this.swallowed++;
    return this.down && this.swallowInserts;
  }

  async insert(table: string, rows: readonly object[], options?: InsertOptions) {
    if (this.swallow()) return;
    this.gate();
    return this.real.insert(table, rows, options);
  }
  async insertJsonEachRow(table: string, body: string | Uint8Array, options?: InsertOptions) {
    if (this.swallow()) return;
    this.gate();
    return this.real.insertJsonEachRow(table, body, options);
  }
  async ping() {
    this.gate();
    return this.real.ping();
  }
  async version() {
    this.gate();
    return this.real.version();
  }
  async close() {
    return this.real.close();
  }
}
