-- Calendar days from {first:Date} to {last:Date}; generated, not read from the landing zone.
TRUNCATE TABLE fab.dim_date__stage;
INSERT INTO fab.dim_date__stage
SELECT d, toYear(d), toQuarter(d), toMonth(d), dateName('month', d), toISOWeek(d),
       toDayOfWeek(d), dateName('weekday', d), toDayOfWeek(d) >= 6
FROM (SELECT {first:Date} + number AS d FROM numbers(toUInt64(dateDiff('day', {first:Date}, {last:Date}) + 1)));
EXCHANGE TABLES fab.dim_date AND fab.dim_date__stage;
TRUNCATE TABLE fab.dim_date__stage;
