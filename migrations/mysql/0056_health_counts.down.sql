-- Undoes 0056_health_counts.up.sql.
DROP TABLE store_health_counts;
