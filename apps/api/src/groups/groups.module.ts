import { Module } from '@nestjs/common';
import { GroupsRepository } from '@roster/db';
import { GroupLogoController } from './group-logo.controller';
import { GroupsController } from './groups.controller';
import { GroupsService } from './groups.service';

@Module({
  controllers: [GroupsController, GroupLogoController],
  providers: [GroupsService, GroupsRepository],
  exports: [GroupsService, GroupsRepository],
})
export class GroupsModule {}
