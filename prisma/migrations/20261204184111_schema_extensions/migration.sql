-- CreateTable
CREATE TABLE "schema_extensions" (
    "urn" TEXT NOT NULL,
    "resource_type" TEXT NOT NULL,
    "required" BOOLEAN NOT NULL DEFAULT false,
    "schema" JSONB NOT NULL,
    "version" INTEGER NOT NULL DEFAULT 1,
    "created" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_modified" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "schema_extensions_pkey" PRIMARY KEY ("urn")
);
