-- One table's partitions with rows and bytes.
SELECT partition_id AS partition, sum(rows) AS rows, sum(bytes_on_disk) AS bytes
FROM system.parts
WHERE active AND database = 'fab' AND table = {table:String}
GROUP BY partition_id
ORDER BY partition_id;
