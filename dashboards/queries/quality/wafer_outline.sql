-- The 300 mm wafer outline (radius 150 mm) as 181 points on a circle.
SELECT 150 * cos(2 * pi() * number / 180) AS "X", 150 * sin(2 * pi() * number / 180) AS "Wafer edge"
FROM numbers(181)
