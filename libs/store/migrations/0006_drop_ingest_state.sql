-- The ingest's range log moved out of ClickHouse into the metadata of the consumer group's
-- committed offset: Kafka refuses that commit from a member whose generation is over, so a member
-- that lost its partition cannot record a range after the new owner has read the log (the
-- ClickHouse table could not fence it). Nothing reads this table any more.
DROP TABLE IF EXISTS ingest_ranges;
