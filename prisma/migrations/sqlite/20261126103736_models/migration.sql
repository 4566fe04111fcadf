-- CreateTable
CREATE TABLE "Model" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "version" TEXT NOT NULL,
    "task" TEXT NOT NULL,
    "card" JSONB NOT NULL,
    "sha256" TEXT NOT NULL,
    "bytes" BIGINT NOT NULL,
    "licence" TEXT NOT NULL,
    "unsupportedOps" JSONB NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- AlterTable
-- (Added in place rather than by Prisma's table redefinition: dropping "Run" inside the migration's
-- transaction would cascade-delete its Instances and Assets, since foreign keys are on.)
ALTER TABLE "Run" ADD COLUMN "modelId" TEXT CONSTRAINT "Run_modelId_fkey" REFERENCES "Model" ("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "Run" ADD COLUMN "modelVersion" TEXT;

-- CreateIndex
CREATE INDEX "Model_sha256_idx" ON "Model"("sha256");

-- CreateIndex
CREATE UNIQUE INDEX "Model_name_version_key" ON "Model"("name", "version");

-- CreateIndex
CREATE INDEX "Run_modelId_idx" ON "Run"("modelId");
