import { Module } from '@nestjs/common';
import { AuthCoreModule } from '../../auth/auth-core.module';
import { SetEncoder } from './set-encoder.service';
import { SetPollService } from './set-poll.service';
import { SetPollController, SetReceiversAdminController } from './set-receivers.controller';
import { SetsCoreModule } from './sets-core.module';

/** SCIM security events (issue 14 item 4): receivers' management, the SET encoder, RFC 8936 poll. */
@Module({
  imports: [SetsCoreModule, AuthCoreModule],
  controllers: [SetReceiversAdminController, SetPollController],
  providers: [SetEncoder, SetPollService],
  exports: [SetEncoder],
})
export class SetsModule {}
