-- Every insert's parts reach the disk before the insert is acknowledged. The ingest commits a
-- range's Kafka offset once its inserts are acknowledged: without fsync that commit is durable
-- (on the brokers) before the rows are (in the page cache), and a power cut of the ClickHouse
-- host would lose rows whose offsets are already committed, for good. The report views' tables
-- too: the rebuild of an uncommitted range relies on what they hold. Merges are not synced:
-- their source parts stay until the merged part is complete. Costs ~6 ms per part on this
-- project's machines (a range inserts about nine parts, raw tables and views).
ALTER TABLE dm_instances MODIFY SETTING fsync_after_insert = 1, fsync_part_directory = 1;
ALTER TABLE port_accesses MODIFY SETTING fsync_after_insert = 1, fsync_part_directory = 1;
ALTER TABLE handshakes MODIFY SETTING fsync_after_insert = 1, fsync_part_directory = 1;
ALTER TABLE guest_logs MODIFY SETTING fsync_after_insert = 1, fsync_part_directory = 1;
ALTER TABLE blacklist_changes MODIFY SETTING fsync_after_insert = 1, fsync_part_directory = 1;
ALTER TABLE driver_builds_daily MODIFY SETTING fsync_after_insert = 1, fsync_part_directory = 1;
ALTER TABLE latest_handshakes MODIFY SETTING fsync_after_insert = 1, fsync_part_directory = 1;
ALTER TABLE blacklist_hits_daily MODIFY SETTING fsync_after_insert = 1, fsync_part_directory = 1;
ALTER TABLE fleet_builds_daily MODIFY SETTING fsync_after_insert = 1, fsync_part_directory = 1;
