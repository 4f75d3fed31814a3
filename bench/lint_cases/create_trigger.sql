-- SHARE ROW EXCLUSIVE on users while the trigger is created.
CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
