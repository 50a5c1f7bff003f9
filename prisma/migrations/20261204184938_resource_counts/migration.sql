-- CreateTable
CREATE TABLE "resource_counts" (
    "resource_type" TEXT NOT NULL,
    "shard" INTEGER NOT NULL,
    "n" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "resource_counts_pkey" PRIMARY KEY ("resource_type","shard")
);

-- Hand-written: the exact number of users and of groups, for the totalResults of unfiltered lists
-- (issue 12 item 7), so that a page at 1M users does not count 1M rows. Statement-level triggers
-- add each INSERT's and DELETE's row count in the same transaction as the rows themselves: a
-- rollback, a failed statement or a failed Bulk operation takes its delta with it. The delta goes
-- to one of 16 shard rows chosen by the backend's pid, so concurrent writers on different
-- connections do not queue on one counter row, and one transaction always updates one shard of a
-- type (no lock-order deadlock between two counters). The count is the sum of the shards.
CREATE FUNCTION "resource_counts_add"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  delta bigint;
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT count(*) INTO delta FROM changed_rows;
  ELSE
    SELECT -count(*) INTO delta FROM changed_rows;
  END IF;
  IF delta <> 0 THEN
    INSERT INTO "resource_counts" ("resource_type", "shard", "n")
    VALUES (TG_ARGV[0], pg_backend_pid() % 16, delta)
    ON CONFLICT ("resource_type", "shard") DO UPDATE SET "n" = "resource_counts"."n" + EXCLUDED."n";
  END IF;
  RETURN NULL;
END
$$;

CREATE FUNCTION "resource_counts_reset"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM "resource_counts" WHERE "resource_type" = TG_ARGV[0];
  RETURN NULL;
END
$$;

CREATE TRIGGER "users_count_insert" AFTER INSERT ON "users"
  REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION "resource_counts_add"('User');
CREATE TRIGGER "users_count_delete" AFTER DELETE ON "users"
  REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION "resource_counts_add"('User');
CREATE TRIGGER "users_count_truncate" AFTER TRUNCATE ON "users"
  FOR EACH STATEMENT EXECUTE FUNCTION "resource_counts_reset"('User');
CREATE TRIGGER "groups_count_insert" AFTER INSERT ON "groups"
  REFERENCING NEW TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION "resource_counts_add"('Group');
CREATE TRIGGER "groups_count_delete" AFTER DELETE ON "groups"
  REFERENCING OLD TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION "resource_counts_add"('Group');
CREATE TRIGGER "groups_count_truncate" AFTER TRUNCATE ON "groups"
  FOR EACH STATEMENT EXECUTE FUNCTION "resource_counts_reset"('Group');

-- The rows that exist now. Writers of an instance still running the previous version wait for this
-- transaction (SHARE ROW EXCLUSIVE blocks INSERT and DELETE), so none is counted twice or missed.
LOCK TABLE "users", "groups" IN SHARE ROW EXCLUSIVE MODE;
INSERT INTO "resource_counts" ("resource_type", "shard", "n")
SELECT 'User', 0, count(*) FROM "users"
UNION ALL
SELECT 'Group', 0, count(*) FROM "groups";
