import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { GroupsModule } from '../groups/groups.module';
import { UsersModule } from '../users/users.module';
import { ConsoleAccess } from './console-access';
import { ConsoleConnectionsController } from './console-connections.controller';
import { ConsoleGroupsController } from './console-groups.controller';
import { ConsoleController } from './console.controller';

@Module({
  imports: [AuthModule, UsersModule, GroupsModule],
  controllers: [ConsoleController, ConsoleGroupsController, ConsoleConnectionsController],
  providers: [ConsoleAccess],
})
export class ConsoleModule {}
