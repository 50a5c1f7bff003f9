-- CreateTable
CREATE TABLE "set_receivers" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "audience" TEXT NOT NULL,
    "events" TEXT[],
    "delivery" TEXT NOT NULL DEFAULT 'poll',
    "token_hash" TEXT NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "acked_through" BIGINT NOT NULL,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_poll_at" TIMESTAMPTZ(3),

    CONSTRAINT "set_receivers_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "set_acks" (
    "receiver_id" UUID NOT NULL,
    "seq" BIGINT NOT NULL,

    CONSTRAINT "set_acks_pkey" PRIMARY KEY ("receiver_id","seq")
);

-- CreateTable
CREATE TABLE "set_errors" (
    "id" BIGSERIAL NOT NULL,
    "receiver_id" UUID NOT NULL,
    "jti" TEXT NOT NULL,
    "err" TEXT NOT NULL,
    "description" TEXT,
    "time" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "set_errors_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "set_receivers_token_hash_key" ON "set_receivers"("token_hash");

-- CreateIndex
CREATE INDEX "set_errors_receiver_id_id_idx" ON "set_errors"("receiver_id", "id");

-- AddForeignKey
ALTER TABLE "set_acks" ADD CONSTRAINT "set_acks_receiver_id_fkey" FOREIGN KEY ("receiver_id") REFERENCES "set_receivers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "set_errors" ADD CONSTRAINT "set_errors_receiver_id_fkey" FOREIGN KEY ("receiver_id") REFERENCES "set_receivers"("id") ON DELETE CASCADE ON UPDATE CASCADE;
