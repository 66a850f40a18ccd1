"""Everything that knows Label Studio's JSON: tasks, regions, relations, per-region choices."""
