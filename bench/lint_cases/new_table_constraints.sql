-- A new table shaped in several steps in the same revision.
CREATE TABLE payments (
    id         bigint NOT NULL,
    invoice_id bigint,
    reference  text
);
ALTER TABLE payments ADD PRIMARY KEY (id);
ALTER TABLE payments ADD CONSTRAINT payments_reference_key UNIQUE (reference);
ALTER TABLE payments ALTER COLUMN invoice_id SET NOT NULL;
ALTER TABLE payments ADD COLUMN amount bigint NOT NULL;
ALTER TABLE payments ALTER COLUMN amount TYPE numeric(12, 2);
