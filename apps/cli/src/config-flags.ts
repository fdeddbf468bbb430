import type { ConfigKey, FlagValue } from '@magicport/config';

/** The flags that stand in for configuration variables, and the variable each one sets. */
const FLAG_KEYS = {
  brokers: ['--brokers', 'KAFKA_BROKERS'],
  clickhouseUrl: ['--clickhouse-url', 'CLICKHOUSE_URL'],
  clickhousePath: ['--clickhouse-path', 'MAGICPORT_CLICKHOUSE_PATH'],
  host: ['--listen-host', 'MAGICPORT_HTTP_HOST'],
  port: ['--port', 'MAGICPORT_HTTP_PORT'],
  group: ['--group', 'MAGICPORT_INGEST_GROUP'],
  logLevel: ['--log-level', 'MAGICPORT_LOG_LEVEL'],
} as const satisfies Record<string, readonly [string, ConfigKey]>;

export type ConfigFlagName = keyof typeof FLAG_KEYS;

/** Commander's parsed options as loadConfig's flags (checked there, named by flag and variable). */
export function configFlags(
  options: Partial<Record<ConfigFlagName, string | undefined>> & { migrate?: boolean },
): Partial<Record<ConfigKey, FlagValue>> {
  const flags: Partial<Record<ConfigKey, FlagValue>> = {};
  for (const [name, [flag, key]] of Object.entries(FLAG_KEYS)) {
    const value = options[name as ConfigFlagName];
    if (value !== undefined) flags[key] = { flag, value };
  }
  if (options.migrate === false) flags.MAGICPORT_MIGRATE = { flag: '--no-migrate', value: '0' };
  return flags;
}
