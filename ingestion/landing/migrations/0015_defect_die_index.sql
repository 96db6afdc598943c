-- Issue 14: inspection defects carry the die they sit on (KLARF XINDEX/YINDEX), so defect maps
-- line up with sort-result bin maps. NULL for defects landed without a die grid.
ALTER TABLE landing.defect ADD COLUMN die_col integer, ADD COLUMN die_row integer;
