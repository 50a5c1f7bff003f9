import { Global, Module } from '@nestjs/common';
import { SchemaExtensionsRepository } from '@roster/db';
import { SchemasAdminController } from './schemas-admin.controller';
import { SchemaExtensionsService } from './schema-extensions.service';

/** Runtime extension schemas (issue 15): the admin API and the registry's loader. */
@Global()
@Module({
  controllers: [SchemasAdminController],
  providers: [SchemaExtensionsRepository, SchemaExtensionsService],
  exports: [SchemaExtensionsService],
})
export class SchemasModule {}
