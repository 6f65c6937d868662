DROP TABLE release_tickets;
