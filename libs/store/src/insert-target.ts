/** `table` or `database.table`, plain identifiers only: the name is spliced into SQL. */
const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;
// Characters Kafka topic-partition-offset tokens are made of; everything else is %-escaped.
const TOKEN_SAFE = /^[A-Za-z0-9._:/-]$/;
const MAX_TOKEN_LENGTH = 1_000;

export function assertTableName(table: string): string {
  if (!TABLE_NAME.test(table)) {
    throw new TypeError(
      `invalid table name ${JSON.stringify(table)}: expected "table" or "database.table" made of letters, digits and _`,
    );
  }
  return table;
}

/**
 * Makes a dedup token safe inside a SQL string literal. The mapping is injective (unsafe
 * characters and "%" itself become %XX of their UTF-8 bytes), so two different tokens never
 * collide: a collision would make ClickHouse drop a batch as a duplicate.
 */
export function sanitizeDedupToken(token: string): string {
  if (token.length === 0) throw new TypeError('dedup token must not be empty');
  if (token.length > MAX_TOKEN_LENGTH) {
    throw new TypeError(`dedup token is ${token.length} characters, at most ${MAX_TOKEN_LENGTH}`);
  }
  // A lone surrogate has no UTF-8 form: encoding it would merge distinct tokens.
  if (/\p{Cs}/u.test(token)) throw new TypeError('dedup token contains a lone UTF-16 surrogate');
  let out = '';
  for (const char of token) {
    out += TOKEN_SAFE.test(char) ? char : percentEncode(char);
  }
  return out;
}

function percentEncode(char: string): string {
  return Array.from(
    Buffer.from(char, 'utf8'),
    (b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`,
  ).join('');
}

const COLUMN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The `table` argument for the client's insert: the table, an optional column list (needed to
 * fill EPHEMERAL columns, which a bare INSERT does not list) and the per-insert settings.
 * Per-insert settings go in the statement: passed as per-call client settings, chDB applies
 * them with SET and they leak into every later call of the same connection (a leaked token
 * silently drops the next, different insert). With a token, dependent materialized views
 * deduplicate the block too, so a retried batch is counted once in the views.
 */
export function insertTarget(
  table: string,
  dedupToken?: string,
  columns?: readonly string[],
): string {
  assertTableName(table);
  let target = table;
  if (columns !== undefined && columns.length > 0) {
    for (const column of columns) {
      if (!COLUMN_NAME.test(column)) {
        throw new TypeError(`invalid column name ${JSON.stringify(column)}`);
      }
    }
    target += ` (${columns.join(', ')})`;
  }
  if (dedupToken === undefined) return target;
  return (
    `${target} SETTINGS insert_deduplication_token = '${sanitizeDedupToken(dedupToken)}', ` +
    'deduplicate_blocks_in_dependent_materialized_views = 1'
  );
}

/**
 * What insertTarget() puts after SETTINGS, as values, for chDB's raw insert (which writes the
 * statement itself): the same token, sanitised the same way, so a block retried on either path
 * is the same block to ClickHouse. The settings the client pins for every call (PINNED_SETTINGS)
 * and that decide how rows are read are repeated here: the raw insert bypasses the client.
 */
export function rawInsertSettings(
  pinned: Readonly<Record<string, string | number | boolean>>,
  dedupToken?: string,
): Record<string, string | number | boolean> {
  const settings: Record<string, string | number | boolean> = { ...pinned };
  if (dedupToken !== undefined) {
    settings.insert_deduplication_token = sanitizeDedupToken(dedupToken);
    settings.deduplicate_blocks_in_dependent_materialized_views = 1;
  }
  return settings;
}
