import 'reflect-metadata';
import { plainToInstance, Transform, Type } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min, MinLength, validateSync } from 'class-validator';

const toBoolean = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') {
    return value;
  }
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) {
    return true;
  }
  if (['false', '0', 'no', 'off'].includes(v)) {
    return false;
  }
  return value;
};

/** Every environment variable Roster reads. The README's configuration table mirrors it. */
export class EnvironmentDto {
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(65535) PORT?: number;
  @IsOptional() @IsString() HOST?: string;
  @IsOptional() @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] }) PUBLIC_URL?: string;
  @IsOptional()
  @Matches(/^(memory:\/\/|postgres(ql)?:\/\/.+)$/i, {
    message: 'DATABASE_URL must be memory:// or a postgres:// URL (leave it unset for the embedded database)',
  })
  DATABASE_URL?: string;
  @IsOptional() @IsString() @MinLength(1) DATA_DIR?: string;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(1000) DATABASE_POOL_SIZE?: number;
  @IsOptional() @IsString() @MinLength(24, { message: 'SCIM_ADMIN_TOKEN must be at least 24 characters' }) SCIM_ADMIN_TOKEN?: string;
  @IsOptional() @Transform(toBoolean) @IsBoolean() DISCOVERY_PUBLIC?: boolean;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1024) @Max(64 * 1024 * 1024) BODY_LIMIT?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(10000) BULK_MAX_OPERATIONS?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1024) @Max(256 * 1024 * 1024) BULK_MAX_PAYLOAD_SIZE?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(10000) FILTER_MAX_RESULTS?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(10000) DEFAULT_PAGE_SIZE?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1024) @Max(16 * 1024 * 1024) LOGO_MAX_BYTES?: number;
  @IsOptional() @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) LOG_LEVEL?: string;
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(600000) SHUTDOWN_TIMEOUT_MS?: number;
}

export interface AppConfig {
  port: number;
  host: string;
  publicUrl: string;
  database: { url?: string; dataDir: string; poolSize: number };
  adminToken?: string;
  discoveryPublic: boolean;
  bodyLimit: number;
  bulk: { maxOperations: number; maxPayloadSize: number };
  filter: { maxResults: number };
  defaultPageSize: number;
  logoMaxBytes: number;
  logLevel: string;
  shutdownTimeoutMs: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads and validates the environment once; throws one error naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const dto = plainToInstance(EnvironmentDto, present);
  const errors = validateSync(dto, { skipMissingProperties: false });
  if (errors.length) {
    throw new ConfigError(
      errors.map((e) => `${e.property}=${JSON.stringify(e.value)}: ${Object.values(e.constraints ?? {}).join('; ')}`),
    );
  }
  const port = dto.PORT ?? 3000;
  const host = dto.HOST ?? '127.0.0.1';
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  return {
    port,
    host,
    publicUrl: (dto.PUBLIC_URL ?? `http://${urlHost}:${port}`).replace(/\/+$/, ''),
    database: { url: dto.DATABASE_URL, dataDir: dto.DATA_DIR ?? './data', poolSize: dto.DATABASE_POOL_SIZE ?? 10 },
    adminToken: dto.SCIM_ADMIN_TOKEN,
    discoveryPublic: dto.DISCOVERY_PUBLIC ?? true,
    bodyLimit: dto.BODY_LIMIT ?? 1024 * 1024,
    bulk: { maxOperations: dto.BULK_MAX_OPERATIONS ?? 1000, maxPayloadSize: dto.BULK_MAX_PAYLOAD_SIZE ?? 4 * 1024 * 1024 },
    filter: { maxResults: dto.FILTER_MAX_RESULTS ?? 1000 },
    defaultPageSize: dto.DEFAULT_PAGE_SIZE ?? 100,
    logoMaxBytes: dto.LOGO_MAX_BYTES ?? 1024 * 1024,
    logLevel: dto.LOG_LEVEL ?? 'info',
    shutdownTimeoutMs: dto.SHUTDOWN_TIMEOUT_MS ?? 10000,
  };
}

export const APP_CONFIG = Symbol('APP_CONFIG');
