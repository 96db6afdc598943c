"""The plant simulator: a seeded fab that backfills history or streams live, with ground truth."""
