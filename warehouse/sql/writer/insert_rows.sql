-- Insert rows handed over as base64 NDJSON: a query parameter needs no escaping that way and
-- the same text works on chDB and on a ClickHouse server. Columns in the table's order.
INSERT INTO fab.{table:Identifier}
SELECT * FROM format(JSONEachRow, {structure:String}, base64Decode({rows:String}));
