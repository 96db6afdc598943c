-- Drop one plant-local day of an analytics fact (database fab), before it is inserted again.
ALTER TABLE fab.{table:Identifier} DROP PARTITION tuple(toYYYYMMDD({day:Date}));
