ALTER TABLE release_ticket_links DROP COLUMN moveJobId;
