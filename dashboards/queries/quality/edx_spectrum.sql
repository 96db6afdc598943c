-- The reviewed defect's EDX spectrum: each element and its characteristic peak energy.
SELECT e.element AS "Element", e.peak_kev AS "Peak energy"
FROM landing.defect AS d
CROSS JOIN LATERAL (
    SELECT jsonb_array_elements_text(d.edx_spectrum -> 'elements') AS element,
           jsonb_array_elements_text(d.edx_spectrum -> 'peaks_kev')::float AS peak_kev
) AS e
WHERE d.inspection_id = split_part('${defect}', '/', 1)
  AND d.defect_no = split_part('${defect}', '/', 2)::int
  AND d.edx_spectrum IS NOT NULL
ORDER BY e.peak_kev
