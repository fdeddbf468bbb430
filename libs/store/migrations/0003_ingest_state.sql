-- The ingest's range log: per consumer group, topic and partition, the offset range being
-- inserted, recorded before its insert. After a crash the ingest rebuilds exactly this range
-- (same bounds, same dedup tokens) before anything new. The newest row wins; read with FINAL.
CREATE TABLE IF NOT EXISTS ingest_ranges
(
    group_id LowCardinality(String),
    topic LowCardinality(String),
    kafka_partition UInt32,
    first_offset UInt64,
    last_offset UInt64,
    recorded_at DateTime64(6, 'UTC') DEFAULT now64(6)
)
ENGINE = ReplacingMergeTree(recorded_at)
ORDER BY (group_id, topic, kafka_partition);
