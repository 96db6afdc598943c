"""Landing-zone upkeep assets: the hourly sensor rollup kept by the pipeline."""
