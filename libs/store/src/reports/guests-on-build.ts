import type { ClickHouseStore } from '../clickhouse-store';
import { LATEST_COLUMNS, latestHandshake, type LatestHandshake } from './latest-handshake-row';
import { decodeCursor, toPage, type Page } from './report-cursor';
import { pageSize, uintParam } from './report-input';
import { reportQuery, type QueryLimits } from './report-query';

export interface GuestsOnBuildParams {
  productNumber: number;
  build: number;
  cursor?: string;
  limit?: number;
}

const REPORT = 'guests-on-build';

/** The guests whose latest handshake was with this build, by vm. */
export async function guestsOnBuild(
  store: ClickHouseStore,
  params: GuestsOnBuildParams,
  limits?: QueryLimits,
): Promise<Page<LatestHandshake>> {
  const limit = pageSize(params.limit);
  const after =
    params.cursor === undefined ? '' : String(decodeCursor(REPORT, params.cursor, ['string'])[0]);
  const rows = await reportQuery<Record<string, unknown>>(
    store,
    REPORT,
    `SELECT ${LATEST_COLUMNS}
     FROM latest_handshakes FINAL
     WHERE product_number = {product:UInt16} AND build = {build:UInt32}
       AND ({after:String} = '' OR vm > toUUIDOrZero({after:String}))
     ORDER BY vm
     LIMIT {take:UInt32}`,
    {
      product: uintParam('productNumber', params.productNumber, 0xffff),
      build: uintParam('build', params.build, 0xffffffff),
      after,
      take: limit + 1,
    },
    limits,
  );
  return toPage(REPORT, rows.map(latestHandshake), limit, (g) => [g.vm]);
}
