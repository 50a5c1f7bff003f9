import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { AdminTokenService } from './admin-token.service';
import { AuthGuard } from './auth.guard';
import { BEARER_STRATEGIES, BearerStrategy } from './principal';

@Module({
  providers: [
    AdminTokenService,
    {
      provide: BEARER_STRATEGIES,
      useFactory: (admin: AdminTokenService): BearerStrategy[] => [admin],
      inject: [AdminTokenService],
    },
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  exports: [AdminTokenService],
})
export class AuthModule {}
