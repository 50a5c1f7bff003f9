import { Module } from '@nestjs/common';
import { BrowserSessionsRepository } from '@roster/db';
import { AuthModule } from '../auth/auth.module';
import { GroupsModule } from '../groups/groups.module';
import { UsersModule } from '../users/users.module';
import { ConsoleAccess } from './console-access';
import { ConsoleActivityController } from './console-activity.controller';
import { ConsoleConnectionsController } from './console-connections.controller';
import { ConsoleGroupsController } from './console-groups.controller';
import { ConsoleLinkAdminController } from './console-link.controller';
import { ConsoleLinkService } from './console-link.service';
import { ConsoleController } from './console.controller';
import { ConsoleEvents } from './console-events';

@Module({
  imports: [AuthModule, UsersModule, GroupsModule],
  controllers: [
    ConsoleController,
    ConsoleGroupsController,
    ConsoleConnectionsController,
    ConsoleActivityController,
    ConsoleLinkAdminController,
  ],
  providers: [ConsoleAccess, ConsoleLinkService, ConsoleEvents, BrowserSessionsRepository],
})
export class ConsoleModule {}
