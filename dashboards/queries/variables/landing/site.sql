-- Sites in the landing zone.
SELECT site_id AS "Site" FROM landing.site ORDER BY site_id
