-- Native mode has nothing to change here (day partitions, retention and the rollup already
-- report true counts); the TimescaleDB twin of this migration sets compression and retention.
SELECT 1;
