-- Takes ACCESS EXCLUSIVE on the parent partitioned table.
ALTER TABLE measurements DETACH PARTITION measurements_2023;
