SELECT name, type FROM system.columns
WHERE database = 'fab' AND table = {table:String}
ORDER BY position;
