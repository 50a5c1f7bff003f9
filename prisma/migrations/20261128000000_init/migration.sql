-- Extensions Roster relies on (PGlite loads the same contrib modules at start-up).
CREATE EXTENSION IF NOT EXISTS citext;

-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "users" (
    "id" UUID NOT NULL,
    "user_name" CITEXT NOT NULL,
    "external_id" TEXT,
    "display_name" TEXT,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "doc" JSONB NOT NULL,
    "password_hash" TEXT,
    "version" INTEGER NOT NULL DEFAULT 1,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_modified" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "user_emails" (
    "user_id" UUID NOT NULL,
    "position" INTEGER NOT NULL,
    "value" TEXT,
    "type" TEXT,
    "primary" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "user_emails_pkey" PRIMARY KEY ("user_id","position")
);

-- CreateTable
CREATE TABLE "groups" (
    "id" UUID NOT NULL,
    "display_name" CITEXT NOT NULL,
    "external_id" TEXT,
    "doc" JSONB NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 1,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_modified" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "groups_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "group_members" (
    "group_id" UUID NOT NULL,
    "member_id" UUID NOT NULL,
    "member_type" TEXT NOT NULL,
    "user_id" UUID,
    "child_group_id" UUID,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "group_members_pkey" PRIMARY KEY ("group_id","member_id")
);

-- CreateTable
CREATE TABLE "group_logos" (
    "group_id" UUID NOT NULL,
    "media_type" TEXT NOT NULL,
    "content" BYTEA NOT NULL,
    "sha256" TEXT NOT NULL,
    "updated" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "group_logos_pkey" PRIMARY KEY ("group_id")
);

-- CreateTable
CREATE TABLE "settings" (
    "key" TEXT NOT NULL,
    "value" JSONB NOT NULL,
    "updated" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "settings_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE UNIQUE INDEX "users_user_name_key" ON "users"("user_name");

-- CreateIndex
CREATE INDEX "users_external_id_idx" ON "users"("external_id");

-- CreateIndex
CREATE INDEX "users_display_name_idx" ON "users"("display_name");

-- CreateIndex
CREATE INDEX "users_last_modified_idx" ON "users"("last_modified", "id");

-- CreateIndex
CREATE INDEX "users_created_idx" ON "users"("created", "id");

-- CreateIndex
CREATE UNIQUE INDEX "groups_display_name_key" ON "groups"("display_name");

-- CreateIndex
CREATE INDEX "groups_external_id_idx" ON "groups"("external_id");

-- CreateIndex
CREATE INDEX "groups_last_modified_idx" ON "groups"("last_modified", "id");

-- CreateIndex
CREATE INDEX "groups_created_idx" ON "groups"("created", "id");

-- CreateIndex
CREATE INDEX "group_members_member_id_idx" ON "group_members"("member_id");

-- CreateIndex
CREATE INDEX "group_members_user_id_idx" ON "group_members"("user_id");

-- CreateIndex
CREATE INDEX "group_members_child_group_id_idx" ON "group_members"("child_group_id");

-- AddForeignKey
ALTER TABLE "user_emails" ADD CONSTRAINT "user_emails_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "group_members" ADD CONSTRAINT "group_members_group_id_fkey" FOREIGN KEY ("group_id") REFERENCES "groups"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "group_members" ADD CONSTRAINT "group_members_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "group_members" ADD CONSTRAINT "group_members_child_group_id_fkey" FOREIGN KEY ("child_group_id") REFERENCES "groups"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "group_logos" ADD CONSTRAINT "group_logos_group_id_fkey" FOREIGN KEY ("group_id") REFERENCES "groups"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- Hand-written: objects schema.prisma cannot express (listed next to each model).

-- `userName sw "..."` and `displayName sw "..."` compile to lower(col::text) LIKE 'prefix%'.
CREATE INDEX "users_user_name_prefix_idx" ON "users" (lower("user_name"::text) text_pattern_ops);
CREATE INDEX "groups_display_name_prefix_idx" ON "groups" (lower("display_name"::text) text_pattern_ops);

-- emails.value is caseExact=false: `emails.value eq` compiles to lower(value) = lower($n).
CREATE INDEX "user_emails_value_lower_idx" ON "user_emails" (lower("value"));

-- A membership row is exactly one kind, and member_id repeats that kind's id.
ALTER TABLE "group_members" ADD CONSTRAINT "group_members_one_kind_chk" CHECK (
  (member_type = 'User' AND user_id IS NOT NULL AND child_group_id IS NULL AND member_id = user_id)
  OR (member_type = 'Group' AND child_group_id IS NOT NULL AND user_id IS NULL AND member_id = child_group_id)
);
