-- Driver builds per UTC day fleet-wide (no host): driver_builds_daily is keyed by host, so it
-- holds nearly one row per handshake when guests spread over many hosts, and a fleet-wide
-- question merged all of them. Distinct hosts are a uniqExact state here for the same reason
-- as guests: states merge exactly across days.
-- A database that already holds handshakes gets this table filled by `magicport rebuild`.
CREATE TABLE IF NOT EXISTS fleet_builds_daily
(
    day Date,
    product_number Nullable(UInt16),
    build Nullable(UInt32),
    product_name SimpleAggregateFunction(anyLast, LowCardinality(Nullable(String))),
    guests AggregateFunction(uniqExact, UUID),
    hosts AggregateFunction(uniqExact, String),
    handshakes SimpleAggregateFunction(sum, UInt64),
    first_seen SimpleAggregateFunction(min, DateTime64(6, 'UTC')),
    last_seen SimpleAggregateFunction(max, DateTime64(6, 'UTC'))
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (day, product_number, build)
SETTINGS non_replicated_deduplication_window = 1000, allow_nullable_key = 1;

CREATE MATERIALIZED VIEW IF NOT EXISTS fleet_builds_daily_mv TO fleet_builds_daily AS
SELECT
    toDate(end_time) AS day,
    product_number,
    build,
    anyLast(product_name) AS product_name,
    uniqExactState(vm) AS guests,
    uniqExactState(toString(host)) AS hosts,
    toUInt64(count()) AS handshakes,
    min(end_time) AS first_seen,
    max(end_time) AS last_seen
FROM handshakes
GROUP BY day, product_number, build;
