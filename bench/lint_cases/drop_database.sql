-- case: transaction off
-- DROP DATABASE cannot run in a transaction.
DROP DATABASE scratch;
