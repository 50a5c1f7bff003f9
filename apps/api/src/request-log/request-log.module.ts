import { Global, Module } from '@nestjs/common';
import { RequestLogRepository } from '@roster/db';
import { RequestLogService } from './request-log.service';

/**
 * The request log (per-connection requests and errors for the console's activity page). Global so
 * that the observability hook can find its service from the application, as it finds Metrics.
 */
@Global()
@Module({
  providers: [RequestLogRepository, RequestLogService],
  exports: [RequestLogService],
})
export class RequestLogModule {}
