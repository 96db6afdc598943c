-- Products carry their die grid (plant file `products[].die_grid`): pitch, bin-map shape and
-- edge exclusion. NULL for products without one.
ALTER TABLE landing.product
    ADD COLUMN die_pitch_x_mm     double precision CHECK (die_pitch_x_mm > 0),
    ADD COLUMN die_pitch_y_mm     double precision CHECK (die_pitch_y_mm > 0),
    ADD COLUMN map_rows           integer CHECK (map_rows >= 1),
    ADD COLUMN map_cols           integer CHECK (map_cols >= 1),
    ADD COLUMN edge_exclusion_mm  double precision CHECK (edge_exclusion_mm >= 0),
    ADD COLUMN wafer_diameter_mm  double precision CHECK (wafer_diameter_mm > 0);

-- Wafer sort (probe) results, issue 14: one bin per die, and one header row per tested map.
-- Imported real maps (`fab import wafermaps`) and the simulator's sort both land here.
-- No foreign key to landing.wafer: imported maps come from other fabs' wafer ids.
CREATE TABLE landing.sort_map (
    wafer_id      text NOT NULL,
    test_program  text NOT NULL,
    lot_id        text,
    map_rows      integer NOT NULL CHECK (map_rows >= 1),
    map_cols      integer NOT NULL CHECK (map_cols >= 1),
    dies          integer NOT NULL CHECK (dies >= 0),
    failed_dies   integer NOT NULL CHECK (failed_dies >= 0),
    label         text,                 -- a known signature (e.g. WM-811K's), when given
    map_sha       text NOT NULL,        -- hash of the bins: an identical re-import is skipped
    source        text NOT NULL,
    tested_at     timestamptz NOT NULL,
    imported_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (wafer_id, test_program)
);

-- Byte-order ("C") keys: the primary key takes millions of dies per import, and locale-aware
-- text comparison made its index the slowest part of landing them.
CREATE TABLE landing.sort_result (
    wafer_id      text COLLATE "C" NOT NULL,
    test_program  text COLLATE "C" NOT NULL,
    die_row       smallint NOT NULL CHECK (die_row >= 0),
    die_col       smallint NOT NULL CHECK (die_col >= 0),
    bin_code      smallint NOT NULL CHECK (bin_code >= 0),
    passed        boolean NOT NULL GENERATED ALWAYS AS (bin_code = 1) STORED,
    tested_at     timestamptz NOT NULL,
    -- No foreign key to sort_map: its per-row trigger made landing 2.5x slower; the importer
    -- writes both tables in one transaction and replaces a changed map's dies itself.
    PRIMARY KEY (wafer_id, test_program, die_row, die_col)
);
