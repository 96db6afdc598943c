-- Issue 14: inspection defects carry the die they sit on (KLARF XINDEX/YINDEX), so defect maps
-- line up with sort-result bin maps. NULL for defects landed without a die grid.
ALTER TABLE landing.defect ADD COLUMN die_col integer, ADD COLUMN die_row integer;

-- Simulator ground truth for wafer sort: the signature each finished wafer's bin map carries.
CREATE TABLE truth.sort_map (
    run_id       text NOT NULL REFERENCES truth.run ON DELETE CASCADE,
    wafer_id     text NOT NULL,
    ts           timestamptz NOT NULL,
    signature    text NOT NULL,
    failed_dies  integer NOT NULL CHECK (failed_dies >= 0),
    PRIMARY KEY (run_id, wafer_id)
);
