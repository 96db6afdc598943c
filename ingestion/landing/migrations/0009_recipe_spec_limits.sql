-- Specification limits of the recipes' measured parameters (issue 9, SPC capability): per
-- parameter {"lsl": .., "usl": .., "target": .., "unit": ..}, from the plant file. LSL < USL is
-- checked when the plant file is loaded; the column only insists on an object.
ALTER TABLE landing.recipe
    ADD COLUMN spec_limits jsonb NOT NULL DEFAULT '{}'
        CONSTRAINT recipe_spec_limits_object CHECK (jsonb_typeof(spec_limits) = 'object');
