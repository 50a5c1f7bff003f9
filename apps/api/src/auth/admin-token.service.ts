import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { PrismaService } from '@roster/db';
import { APP_CONFIG, AppConfig } from '../config';
import { ALL_SCOPES, BearerStrategy, Principal, RESOURCES } from './principal';
import { randomSecret, secretsEqual, sha256 } from './secrets';

const SETTING_KEY = 'admin_token_sha256';

/**
 * The bootstrap credential. From SCIM_ADMIN_TOKEN when set; otherwise generated on the first
 * start, shown once, and kept only as a SHA-256 hash in the database (a 256-bit random token
 * needs no slow hash: it cannot be guessed, only stolen).
 */
@Injectable()
export class AdminTokenService implements OnModuleInit, BearerStrategy {
  readonly name = 'admin-token';
  private readonly logger = new Logger('AdminToken');
  private expectedHash?: Buffer;
  /** Set only on the start that generated the token, so that the bootstrap can print it once. */
  generatedToken?: string;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly prisma: PrismaService,
  ) {}

  async onModuleInit(): Promise<void> {
    if (this.config.adminToken) {
      this.expectedHash = sha256(this.config.adminToken);
      return;
    }
    const candidate = randomSecret('roster_admin_');
    // Several instances may start together: the first insert wins, the others adopt its hash.
    const inserted = await this.prisma.client.setting.createMany({
      data: [{ key: SETTING_KEY, value: sha256(candidate).toString('hex') }],
      skipDuplicates: true,
    });
    const stored = await this.prisma.client.setting.findUniqueOrThrow({ where: { key: SETTING_KEY } });
    this.expectedHash = Buffer.from(typeof stored.value === 'string' ? stored.value : '', 'hex');
    if (inserted.count === 1) {
      this.generatedToken = candidate;
      this.logger.warn('Generated an admin token on first start; it is shown once on the console, never logged.');
    }
  }

  authenticate(token: string): Promise<Principal | null> {
    if (!this.expectedHash || !secretsEqual(sha256(token), this.expectedHash)) {
      return Promise.resolve(null);
    }
    return Promise.resolve({
      kind: 'admin',
      subject: 'admin',
      scopes: new Set(ALL_SCOPES),
      resources: new Set(RESOURCES),
    });
  }
}
