-- CreateTable
CREATE TABLE "events" (
    "id" BIGSERIAL NOT NULL,
    "seq" BIGINT,
    "xid" xid8 NOT NULL DEFAULT pg_current_xact_id(),
    "time" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "type" TEXT NOT NULL,
    "resource_type" TEXT NOT NULL,
    "resource_id" TEXT NOT NULL,
    "version" INTEGER,
    "changes" JSONB NOT NULL DEFAULT '[]',
    "detail" JSONB,
    "actor_kind" TEXT NOT NULL,
    "actor_id" TEXT,
    "actor_name" TEXT,
    "request_id" TEXT,
    "client_address" TEXT,
    "user_agent" TEXT,

    CONSTRAINT "events_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "user_revocations" (
    "user_id" UUID NOT NULL,
    "revoked_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "user_revocations_pkey" PRIMARY KEY ("user_id")
);

-- Hand-written (listed next to the Event model): the feed positions, the rows still to position,
-- and the feed's indexes, partial so that a writer's INSERT does not maintain them.
CREATE SEQUENCE "events_feed_seq";
CREATE INDEX "events_pending_idx" ON "events"("xid", "id") WHERE "seq" IS NULL;
CREATE UNIQUE INDEX "events_seq_idx" ON "events"("seq") WHERE "seq" IS NOT NULL;
CREATE INDEX "events_resource_idx" ON "events"("resource_id", "seq") WHERE "seq" IS NOT NULL;
