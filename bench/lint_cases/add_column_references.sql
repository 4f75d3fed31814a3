-- A new column with an inline foreign key: validated at once (the column is all
-- NULL, so the scan is cheap), but both tables are locked.
ALTER TABLE orders ADD COLUMN coupon_id bigint REFERENCES coupons (id);
