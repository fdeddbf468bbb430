import { describe, expect, it } from 'vitest';
import { parsePort } from '../../deploy/kafka/ports';
import { renderServerProperties } from '../../deploy/kafka/server-properties';
import { parseJavaMajor } from '../../deploy/kafka/toolchain';
import { parseClickHouseUrl } from './clickhouse-service';
import { parseBrokerList } from './kafka-service';

describe('KAFKA_BROKERS', () => {
  it('accepts host:port lists, trimming spaces', () => {
    expect(parseBrokerList('127.0.0.1:9092')).toBe('127.0.0.1:9092');
    expect(parseBrokerList('kafka-1:9092, kafka-2.internal:19092,[::1]:9093')).toBe(
      'kafka-1:9092,kafka-2.internal:19092,[::1]:9093',
    );
  });

  it('names every bad entry', () => {
    expect(() => parseBrokerList('kafka-1:9092,kafka-2,http://x:1')).toThrow(
      'KAFKA_BROKERS must be comma-separated host:port entries; bad: "kafka-2", "http://x:1"',
    );
  });
});

describe('CLICKHOUSE_URL', () => {
  it('accepts http and https URLs as given', () => {
    expect(parseClickHouseUrl('http://default:pw@127.0.0.1:8123/db')).toBe(
      'http://default:pw@127.0.0.1:8123/db',
    );
    expect(parseClickHouseUrl('https://ch.example:8443')).toBe('https://ch.example:8443');
  });

  it('rejects other protocols and non-URLs without echoing a password', () => {
    expect(() => parseClickHouseUrl('tcp://127.0.0.1:9000')).toThrow(
      'must use http or https (the HTTP interface), got "tcp:"',
    );
    expect(() => parseClickHouseUrl('127.0.0.1 8123')).toThrow(
      'CLICKHOUSE_URL must be an http(s) URL such as http://127.0.0.1:8123, got "127.0.0.1 8123"',
    );
    expect(() => parseClickHouseUrl('//user:secret@host')).toThrow('got "//user:***@host"');
  });
});

describe('java -version', () => {
  it('reads the major version of old and new numbering schemes', () => {
    expect(parseJavaMajor('openjdk version "17.0.15" 2025-04-15')).toBe(17);
    expect(parseJavaMajor('java version "1.8.0_402"')).toBe(8);
    expect(parseJavaMajor('openjdk version "21" 2023-09-19')).toBe(21);
    expect(parseJavaMajor('Picked up JAVA_TOOL_OPTIONS: -Xss1m\nopenjdk version "11.0.22"')).toBe(
      11,
    );
    expect(parseJavaMajor('bash: java: command not found')).toBeUndefined();
  });
});

describe('broker ports and config', () => {
  it('parses port options strictly', () => {
    expect(parsePort('9092', '--port')).toBe(9092);
    for (const bad of ['0', '65536', '9092x', '-1', '', '90.5']) {
      expect(() => parsePort(bad, '--port')).toThrow(
        `--port must be a port number from 1 to 65535, got "${bad}"`,
      );
    }
  });

  it('renders a single-node KRaft broker that is its own controller on 127.0.0.1', () => {
    const lines = renderServerProperties({
      port: 40001,
      controllerPort: 40002,
      dataDir: '/data/k',
    }).split('\n');
    expect(lines).toContain('process.roles=broker,controller');
    expect(lines).toContain('controller.quorum.bootstrap.servers=127.0.0.1:40002');
    expect(lines).toContain('listeners=PLAINTEXT://127.0.0.1:40001,CONTROLLER://127.0.0.1:40002');
    expect(lines).toContain('log.dirs=/data/k');
    expect(lines).toContain('offsets.topic.replication.factor=1');
    expect(lines).toContain('group.initial.rebalance.delay.ms=0');
    expect(lines.at(-1)).toBe('');
  });

  it('escapes backslashes in paths, as Java properties require', () => {
    const text = renderServerProperties({ port: 1, controllerPort: 2, dataDir: 'C:\\kafka\\data' });
    expect(text).toContain('log.dirs=C:\\\\kafka\\\\data\n');
  });
});
