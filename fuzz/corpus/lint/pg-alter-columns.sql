pSET LOCAL lock_timeout = '5s';
ALTER TABLE accounts ADD COLUMN status text NOT NULL;
ALTER TABLE accounts ADD COLUMN created_at timestamptz DEFAULT now();
ALTER TABLE accounts ADD COLUMN token uuid DEFAULT gen_random_uuid();
ALTER TABLE accounts ADD COLUMN id2 bigserial;
ALTER TABLE accounts ALTER COLUMN balance TYPE numeric(12,2);
ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;
