"""Landing zone (PostgreSQL schema `landing`): migrations, partitions, seeding."""
