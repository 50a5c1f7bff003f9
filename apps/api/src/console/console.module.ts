import { Module } from '@nestjs/common';
import { BrowserSessionsRepository } from '@roster/db';
import { AuthModule } from '../auth/auth.module';
import { GroupsModule } from '../groups/groups.module';
import { UsersModule } from '../users/users.module';
import { ConsoleAccess } from './console-access';
import { ConsoleConnectionsController } from './console-connections.controller';
import { ConsoleGroupsController } from './console-groups.controller';
import { ConsoleLinkAdminController } from './console-link.controller';
import { ConsoleLinkService } from './console-link.service';
import { ConsoleController } from './console.controller';

@Module({
  imports: [AuthModule, UsersModule, GroupsModule],
  controllers: [ConsoleController, ConsoleGroupsController, ConsoleConnectionsController, ConsoleLinkAdminController],
  providers: [ConsoleAccess, ConsoleLinkService, BrowserSessionsRepository],
})
export class ConsoleModule {}
