import type { Bus, BusRecord } from '@magicport/bus';
import {
  createBlacklistStamper,
  encodeEvent,
  recordKeyOf,
  type BlacklistEvent,
} from '@magicport/events';
import { decide, readBlacklistTopic, type BlacklistCommand } from '@magicport/blacklist';

/**
 * Fault injection around real buses: the first `writers` publishes to `topic`, through any of
 * the buses wrapped by the returned function, are held until all of them have arrived, so every
 * writer has read the topic before any of them appends (the race two server replicas run into).
 * Everything else passes straight through.
 */
export function publishRace(topic: string, writers: number): (bus: Bus) => Bus {
  let waiting: Array<() => void> = [];
  let held = 0;
  const gate = () =>
    new Promise<void>((release) => {
      waiting.push(release);
      if (waiting.length === writers) {
        for (const r of waiting) r();
        waiting = [];
      }
    });
  return (bus) =>
    new Proxy(bus, {
      get(target, property, receiver) {
        if (property !== 'publish') return Reflect.get(target, property, receiver);
        return async (name: string, records: readonly BusRecord[]) => {
          if (name === topic && held < writers) {
            held++;
            await gate();
          }
          return target.publish(name, records);
        };
      },
    });
}

/**
 * The control: a writer without the conditional append. It reads the topic, decides at the
 * revision after the last and publishes; it never checks whether another writer got there first.
 */
export async function naiveWrite(
  bus: Bus,
  topic: string,
  stream: string,
  command: BlacklistCommand,
): Promise<BlacklistEvent> {
  const { history } = await readBlacklistTopic(bus, topic);
  const change = decide(command, history.current);
  const event = createBlacklistStamper({ host: 'naive', dm: stream }).stamp(
    change.type,
    change.data,
  );
  await bus.publish(topic, [{ key: recordKeyOf(event), value: encodeEvent(event) }]);
  return event;
}
