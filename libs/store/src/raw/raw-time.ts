/**
 * An event time (`2026-03-01T12:00:00.000001Z`, validated by libs/events) as ClickHouse's
 * plain DateTime64 text `2026-03-01 12:00:00.000001`: parsed by the basic parser on insert and
 * accepted as a query parameter (an ISO string ending in Z is rejected there).
 */
export function toClickHouseTime(eventTime: string): string {
  return `${eventTime.slice(0, 10)} ${eventTime.slice(11, 26)}`;
}

/** ClickHouse DateTime64(6) text back to the event-time form. */
export function fromClickHouseTime(text: string): string {
  if (!/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/.test(text)) {
    throw new TypeError(
      `expected a DateTime64(6) value like 2026-03-01 12:00:00.000001, got ${JSON.stringify(text)}`,
    );
  }
  return `${text.slice(0, 10)}T${text.slice(11)}Z`;
}
