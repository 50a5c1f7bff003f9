-- CreateTable
CREATE TABLE "request_log_minutes" (
    "connection" TEXT NOT NULL,
    "minute" TIMESTAMPTZ(0) NOT NULL,
    "kind" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "requests" INTEGER NOT NULL DEFAULT 0,
    "errors" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "request_log_minutes_pkey" PRIMARY KEY ("connection","minute")
);

-- CreateTable
CREATE TABLE "request_log_errors" (
    "id" BIGSERIAL NOT NULL,
    "time" TIMESTAMPTZ(3) NOT NULL,
    "connection" TEXT NOT NULL,
    "method" TEXT NOT NULL,
    "path" TEXT NOT NULL,
    "status" INTEGER NOT NULL,
    "scim_type" TEXT,
    "detail" TEXT,
    "request_id" TEXT NOT NULL,

    CONSTRAINT "request_log_errors_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "request_log_minutes_minute_idx" ON "request_log_minutes"("minute");

-- CreateIndex
CREATE INDEX "request_log_errors_connection_id_idx" ON "request_log_errors"("connection", "id");
