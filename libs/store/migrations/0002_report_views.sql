-- Materialized views for the fleet reports, each writing a target table of its own.
--
-- A view sees each inserted block once, so the views count exactly only because the ingest
-- inserts with insert_deduplication_token and deduplicate_blocks_in_dependent_materialized_views
-- = 1: a retried batch is dropped before it reaches them. The raw tables' id backstop
-- (ReplacingMergeTree) cannot undo a count a view already made. Every target therefore carries
-- non_replicated_deduplication_window too. `magicport rebuild` recomputes the targets from the
-- raw tables with the very SELECTs below (libs/store/src/views/view-catalog.ts keeps them in step).

-- Driver builds per UTC day and host: merge the states over hosts for fleet-wide numbers
-- (uniqExact states merge exactly, so distinct guests stay exact across hosts and days).
CREATE TABLE IF NOT EXISTS driver_builds_daily
(
    day Date,
    product_number Nullable(UInt16),
    build Nullable(UInt32),
    host LowCardinality(String),
    product_name SimpleAggregateFunction(anyLast, LowCardinality(Nullable(String))),
    guests AggregateFunction(uniqExact, UUID),
    handshakes SimpleAggregateFunction(sum, UInt64),
    first_seen SimpleAggregateFunction(min, DateTime64(6, 'UTC')),
    last_seen SimpleAggregateFunction(max, DateTime64(6, 'UTC'))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (product_number, build, day, host)
SETTINGS non_replicated_deduplication_window = 1000, allow_nullable_key = 1;

CREATE MATERIALIZED VIEW IF NOT EXISTS driver_builds_daily_mv TO driver_builds_daily AS
SELECT
    toDate(end_time) AS day,
    product_number,
    build,
    host,
    anyLast(product_name) AS product_name,
    uniqExactState(vm) AS guests,
    toUInt64(count()) AS handshakes,
    min(end_time) AS first_seen,
    max(end_time) AS last_seen
FROM handshakes
GROUP BY day, product_number, build, host;

-- Each guest's latest handshake (by end time). Read with FINAL.
CREATE TABLE IF NOT EXISTS latest_handshakes
(
    vm UUID,
    end_time DateTime64(6, 'UTC'),
    time DateTime64(6, 'UTC'),
    dm String,
    seq UInt64,
    boot UInt64,
    domid UInt16,
    host LowCardinality(String),
    handshake_id String,
    result Enum8(
        'unplugged' = 1, 'no-unplug' = 2, 'blacklisted' = 3, 'blacklist-ignored' = 4,
        'version-unsupported' = 5, 'magic-mismatch' = 6, 'abandoned' = 7),
    product_number Nullable(UInt16),
    product_name LowCardinality(Nullable(String)),
    build Nullable(UInt32),
    blacklisted Bool,
    blacklist_revision Nullable(UInt64),
    unplug_applied Bool,
    violations Array(LowCardinality(String))
)
ENGINE = ReplacingMergeTree(end_time)
ORDER BY vm
SETTINGS non_replicated_deduplication_window = 1000;

CREATE MATERIALIZED VIEW IF NOT EXISTS latest_handshakes_mv TO latest_handshakes AS
SELECT
    vm, end_time, time, dm, seq, boot, domid, host, handshake_id, result, product_number,
    product_name, build, blacklisted, blacklist_revision, unplug_applied, violations
FROM handshakes;

-- Blacklist hits per UTC day, build and answer (honoured or ignored).
CREATE TABLE IF NOT EXISTS blacklist_hits_daily
(
    day Date,
    product_number Nullable(UInt16),
    build Nullable(UInt32),
    -- Only 'blacklisted' and 'blacklist-ignored' rows; the type is the handshakes' own.
    result Enum8(
        'unplugged' = 1, 'no-unplug' = 2, 'blacklisted' = 3, 'blacklist-ignored' = 4,
        'version-unsupported' = 5, 'magic-mismatch' = 6, 'abandoned' = 7),
    product_name SimpleAggregateFunction(anyLast, LowCardinality(Nullable(String))),
    hits SimpleAggregateFunction(sum, UInt64),
    unplug_applied SimpleAggregateFunction(sum, UInt64),
    guests AggregateFunction(uniqExact, UUID),
    hosts AggregateFunction(uniqExact, String)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (day, product_number, build, result)
SETTINGS non_replicated_deduplication_window = 1000, allow_nullable_key = 1;

CREATE MATERIALIZED VIEW IF NOT EXISTS blacklist_hits_daily_mv TO blacklist_hits_daily AS
SELECT
    toDate(end_time) AS day,
    product_number,
    build,
    result,
    anyLast(product_name) AS product_name,
    toUInt64(count()) AS hits,
    toUInt64(countIf(unplug_applied)) AS unplug_applied,
    uniqExactState(vm) AS guests,
    uniqExactState(toString(host)) AS hosts
FROM handshakes
WHERE result IN ('blacklisted', 'blacklist-ignored')
GROUP BY day, product_number, build, result;

-- Fleet log search (`lowerUTF8(text) LIKE '%…%'`): an ngram bloom filter lets it skip the
-- granules without the needle. Measured on embedded chDB, 3M lines, a needle in 31 of them:
-- 632 ms p50 by positionCaseInsensitiveUTF8 over every line, 11 ms with this index. Needles of
-- fewer than 3 characters scan everything (correct, not faster).
ALTER TABLE guest_logs
    ADD INDEX IF NOT EXISTS text_ngrams lowerUTF8(text) TYPE ngrambf_v1(3, 65536, 2, 0) GRANULARITY 1;
