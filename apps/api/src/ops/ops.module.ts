import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { OpsAdminController, VersionController } from './ops.controller';

/** Operations: the version, admin-token reset and backups of the embedded database. */
@Module({
  imports: [AuthModule],
  controllers: [VersionController, OpsAdminController],
})
export class OpsModule {}
