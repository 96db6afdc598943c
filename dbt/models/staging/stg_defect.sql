-- Defects found by an inspection, with their position on the wafer (mm from the centre) and
-- the severity of their type.
select
    defect.ts,
    defect.inspection_id,
    defect.defect_no,
    defect.wafer_id,
    defect.x_mm,
    defect.y_mm,
    defect.size_um,
    defect.defect_type,
    kind.severity,
    sqrt(defect.x_mm * defect.x_mm + defect.y_mm * defect.y_mm) as radius_mm
from {{ source('landing', 'defect') }} as defect
left join {{ source('landing', 'defect_type') }} as kind
    on kind.defect_type = defect.defect_type
