import { InputError } from './input-file';
import { quoted } from './output';

/**
 * A Kafka bootstrap list as people type it (`--brokers`, `KAFKA_BROKERS`): `host:port[,...]`.
 * Checked before anything connects: kafkajs would otherwise retry a typo for 15 s and then
 * report `Port should be >= 0 and < 65536 ... (NaN)`. Returns the entries trimmed; throws an
 * InputError naming the entry and what is wrong with it.
 */
export function parseBrokerList(list: string, flag = '--brokers'): string[] {
  const entries = list.split(',').map((entry) => entry.trim());
  if (entries.every((entry) => entry === ''))
    throw new InputError(`${flag}: empty (give host:port, e.g. 127.0.0.1:9092)`);
  return entries.map((entry) => {
    const problem = brokerProblem(entry, list);
    if (problem) throw new InputError(`${flag}: ${problem}`);
    return entry;
  });
}

function brokerProblem(entry: string, list: string): string | null {
  if (entry === '') return `an empty entry in the list ${quoted(list)}`;
  const scheme = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(entry);
  if (scheme)
    return `${quoted(entry)}: give host:port without a scheme (${escapeHostPort(scheme[2]!)})`;
  // host:port, or [v6 address]:port.
  const match = /^(\[[0-9a-f:.]+\]|[^:\s[\]/]+):([^:]*)$/i.exec(entry);
  if (!match) return `${quoted(entry)} is not host:port (e.g. 127.0.0.1:9092)`;
  const port = match[2]!;
  if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535)
    return `${quoted(entry)}: the port must be a whole number from 1 to 65535`;
  if (!/^(\[[0-9a-f:.]+\]|[a-z0-9._-]+)$/i.test(match[1]!))
    return `${quoted(entry)}: ${quoted(match[1]!)} is not a host name or address`;
  return null;
}

function escapeHostPort(rest: string): string {
  return quoted(rest.replace(/\/.*$/, '')).slice(1, -1);
}
