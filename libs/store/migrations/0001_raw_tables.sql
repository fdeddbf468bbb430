-- Raw tables: one per event kind, every field a real column, ordered for its reads.
--
-- Exactly-once rests on insert_deduplication_token (the ingest's batch token), which needs
-- non_replicated_deduplication_window on every table an insert reaches (materialized view
-- targets included). ReplacingMergeTree keyed on the event's (dm, seq) is only a backstop: it
-- collapses a duplicate at merge time or under FINAL, never before a view has counted it.
--
-- The event id is `{dm}:{seq}` (the codec enforces it), so it is an ALIAS, not stored.
-- Times are DateTime64(6, 'UTC'): microseconds, as the events carry them.
-- _topic, _partition, _offset name the Kafka record each row came from.

CREATE TABLE IF NOT EXISTS dm_instances
(
    event Enum8('dm.started' = 1, 'dm.stopped' = 2),
    dm String,
    seq UInt64,
    id String ALIAS concat(dm, ':', toString(seq)),
    vm UUID,
    domid UInt16,
    boot UInt64,
    host LowCardinality(String),
    time DateTime64(6, 'UTC'),
    -- dm.started (defaults on dm.stopped rows)
    profile LowCardinality(String),
    enforce_blacklist Bool,
    agent_version LowCardinality(String),
    source LowCardinality(String),
    log_byte_accesses Bool,
    idle_gap_ms UInt32,
    -- dm.stopped ('' on dm.started rows)
    stop_reason LowCardinality(String),
    stop_detail Nullable(String),
    _topic LowCardinality(String),
    _partition UInt32,
    _offset UInt64
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(time)
ORDER BY (vm, boot, dm, seq)
SETTINGS non_replicated_deduplication_window = 1000;

CREATE TABLE IF NOT EXISTS port_accesses
(
    dm String,
    seq UInt64,
    id String ALIAS concat(dm, ':', toString(seq)),
    vm UUID,
    domid UInt16,
    boot UInt64,
    host LowCardinality(String),
    time DateTime64(6, 'UTC'),
    op Enum8('in' = 1, 'out' = 2),
    port UInt8,
    size UInt8,
    value Nullable(UInt32),
    response Nullable(UInt32),
    _topic LowCardinality(String),
    _partition UInt32,
    _offset UInt64
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(time)
ORDER BY (vm, boot, dm, seq)
SETTINGS non_replicated_deduplication_window = 1000;

-- Reports read by (product, build, time); a guest's history by (vm, time) through the
-- projection. product_number and build are null when the driver never wrote them.
CREATE TABLE IF NOT EXISTS handshakes
(
    dm String,
    seq UInt64,
    id String ALIAS concat(dm, ':', toString(seq)),
    vm UUID,
    domid UInt16,
    boot UInt64,
    host LowCardinality(String),
    time DateTime64(6, 'UTC'),
    handshake_id String,
    result Enum8(
        'unplugged' = 1, 'no-unplug' = 2, 'blacklisted' = 3, 'blacklist-ignored' = 4,
        'version-unsupported' = 5, 'magic-mismatch' = 6, 'abandoned' = 7),
    protocol_version Nullable(UInt8),
    product_number Nullable(UInt16),
    product_name LowCardinality(Nullable(String)),
    build Nullable(UInt32),
    blacklisted Bool,
    blacklist_key Nullable(String),
    -- The blacklist revision the agent answered from (handshake.outcome v2); null when unknown.
    blacklist_revision Nullable(UInt64),
    mask UInt16,
    mask_writes Array(UInt16),
    unplug_ide_scsi_disks Bool,
    unplug_nics Bool,
    unplug_aux_ide_disks Bool,
    unplug_nvme_disks Bool,
    unplug_applied Bool,
    violations Array(LowCardinality(String)),
    start_time DateTime64(6, 'UTC'),
    end_time DateTime64(6, 'UTC'),
    access_count UInt64,
    _topic LowCardinality(String),
    _partition UInt32,
    _offset UInt64,
    PROJECTION by_guest (SELECT * ORDER BY vm, end_time)
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(time)
ORDER BY (product_number, build, end_time, dm, seq)
SETTINGS non_replicated_deduplication_window = 1000, allow_nullable_key = 1,
    deduplicate_merge_projection_mode = 'rebuild';

-- `bytes` is the line exactly as the guest wrote it (any bytes, not only UTF-8). Rows carry it
-- as base64 in the EPHEMERAL column, because JSON text cannot hold arbitrary bytes.
CREATE TABLE IF NOT EXISTS guest_logs
(
    dm String,
    seq UInt64,
    id String ALIAS concat(dm, ':', toString(seq)),
    vm UUID,
    domid UInt16,
    boot UInt64,
    host LowCardinality(String),
    time DateTime64(6, 'UTC'),
    text String,
    bytes_base64 String EPHEMERAL,
    bytes String DEFAULT base64Decode(bytes_base64),
    truncated Bool,
    trigger Nullable(UInt8),
    dropped_before UInt64,
    throttled_ms Float64,
    access_count UInt16,
    first_time DateTime64(6, 'UTC'),
    last_time DateTime64(6, 'UTC'),
    handshake_id Nullable(String),
    _topic LowCardinality(String),
    _partition UInt32,
    _offset UInt64
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(time)
ORDER BY (vm, boot, dm, seq)
SETTINGS non_replicated_deduplication_window = 1000;

-- The blacklist's event log, in revision order. (dm, seq) after the revision so that two
-- changes claiming one revision (a writer bug) both stay visible.
CREATE TABLE IF NOT EXISTS blacklist_changes
(
    change Enum8('added' = 1, 'removed' = 2),
    dm String,
    seq UInt64,
    id String ALIAS concat(dm, ':', toString(seq)),
    host LowCardinality(String),
    time DateTime64(6, 'UTC'),
    revision UInt64,
    product LowCardinality(String),
    build UInt32,
    key String,
    actor String,
    reason String,
    _topic LowCardinality(String),
    _partition UInt32,
    _offset UInt64
)
ENGINE = ReplacingMergeTree
ORDER BY (revision, dm, seq)
SETTINGS non_replicated_deduplication_window = 1000;
