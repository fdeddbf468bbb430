/**
 * JSONEachRow text its caller wrote itself. The client only takes JSON formats as values to
 * stringify, so this passes through the client's one JSON hook (jsonHandling.stringify below)
 * unchanged instead of being serialised a second time.
 */
export class PreEncodedRows {
  constructor(readonly text: string) {}
}

/** The client's `json.stringify`: JSON.stringify, except for pre-encoded rows. */
export function stringifyRows(value: unknown): string {
  return value instanceof PreEncodedRows ? value.text : JSON.stringify(value);
}
