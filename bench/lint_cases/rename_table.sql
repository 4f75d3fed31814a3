-- The running release still queries the old name.
ALTER TABLE customer RENAME TO customers;
