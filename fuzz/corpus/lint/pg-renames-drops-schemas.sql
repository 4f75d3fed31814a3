pALTER TABLE "Users" RENAME COLUMN "Name" TO full_name;
ALTER TABLE billing.invoices RENAME TO bills;
ALTER TABLE app.users DROP COLUMN legacy_flag;
DROP TABLE IF EXISTS app.sessions, audit."Log";
