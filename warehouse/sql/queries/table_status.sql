-- Every table of database `fab` with its active partitions, rows and bytes on disk.
SELECT t.name AS table,
       ifNull(p.partitions, 0) AS partitions,
       ifNull(p.rows, 0) AS rows,
       ifNull(p.bytes, 0) AS bytes,
       ifNull(p.first_partition, '') AS first_partition,
       ifNull(p.last_partition, '') AS last_partition
FROM system.tables AS t
LEFT JOIN (
    SELECT table,
           uniqExact(partition_id) AS partitions,
           sum(rows) AS rows,
           sum(bytes_on_disk) AS bytes,
           min(partition_id) AS first_partition,
           max(partition_id) AS last_partition
    FROM system.parts
    WHERE active AND database = 'fab'
    GROUP BY table
) AS p ON p.table = t.name
WHERE t.database = 'fab' AND NOT endsWith(t.name, '__stage')
ORDER BY t.name
SETTINGS join_use_nulls = 1;
