/**
 * The project's own broker launcher (deploy/kafka), driven through its library API on instances
 * of its own, so a broker from `npm run kafka:start` or this run's broker is never touched.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import {
  findLocalBroker,
  localBrokerStatus,
  reapOrphanedBrokers,
  stopLocalBroker,
} from '../../deploy/kafka/broker-instances';
import { inspectProcess } from '../../deploy/kafka/broker-process';
import { BrokerAlreadyRunningError, startLocalBroker } from '../../deploy/kafka/local-broker';
import { brokerApiVersions } from '../support/kafka';

const name = `lifecycle-${process.pid}`;
// Instances and owner stand-ins to clean up even when a test fails halfway.
const instances = new Set([name]);
const owners: ChildProcess[] = [];

describe('local Kafka broker launcher', () => {
  afterAll(async () => {
    for (const owner of owners) owner.kill('SIGKILL');
    await Promise.all([...instances].map((instance) => stopLocalBroker(instance)));
  });

  it('starts, refuses a second start with the running address, stops, and starts again', async () => {
    const first = await startLocalBroker({ name, owner: process.pid });
    expect(first.bootstrap).toBe(`127.0.0.1:${first.port}`);
    expect(first.version).toMatch(/^4\.1\.\d+$/);
    expect((await brokerApiVersions(first.bootstrap)).get(18)).toEqual({ min: 0, max: 4 });
    expect(await findLocalBroker(first.bootstrap)).toMatchObject({ name, pid: first.pid });

    const second = startLocalBroker({ name, owner: process.pid });
    await expect(second).rejects.toBeInstanceOf(BrokerAlreadyRunningError);
    await expect(second).rejects.toThrow(
      `already running at ${first.bootstrap} (pid ${first.pid})`,
    );

    expect((await stopLocalBroker(name))?.pid).toBe(first.pid);
    expect(inspectProcess(first.pid).alive).toBe(false);
    expect(await localBrokerStatus(name)).toBeNull();
    expect(await stopLocalBroker(name)).toBeNull();

    const again = await startLocalBroker({ name, owner: process.pid });
    expect(again.pid).not.toBe(first.pid);
    expect((await brokerApiVersions(again.bootstrap)).size).toBeGreaterThan(50);
    await stopLocalBroker(name);
  });

  it('says which requested port is busy', async () => {
    const blocker = await listen();
    const busy = (blocker.address() as { port: number }).port;
    try {
      await expect(startLocalBroker({ name, owner: process.pid, port: busy })).rejects.toThrow(
        `port ${busy} on 127.0.0.1 is busy: choose another --port`,
      );
      expect(await localBrokerStatus(name)).toBeNull();
    } finally {
      blocker.close();
    }
  });

  it('stops a broker whose owner process died, and only then', async () => {
    const owner = spawn('sleep', ['300'], { stdio: 'ignore' });
    owners.push(owner);
    const orphanName = `orphan-${owner.pid}`;
    instances.add(orphanName);
    const broker = await startLocalBroker({ name: orphanName, owner: owner.pid! });

    // Control: while the owner lives, the broker is left alone.
    expect(await reapOrphanedBrokers()).toEqual([]);
    expect(await localBrokerStatus(orphanName)).not.toBeNull();

    owner.kill('SIGKILL');
    await new Promise((resolve) => owner.once('exit', resolve));
    const reaped = await reapOrphanedBrokers();
    expect(reaped.map((b) => [b.name, b.pid])).toEqual([[orphanName, broker.pid]]);
    expect(inspectProcess(broker.pid).alive).toBe(false);
    expect(await localBrokerStatus(orphanName)).toBeNull();
  });
});

function listen(): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}
