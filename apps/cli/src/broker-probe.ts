import { Kafka, logLevel } from 'kafkajs';
import { InputError } from './input-file';
import { systemErrorWords } from './output';

export interface ProbeOptions {
  /** Connection attempts before giving up on brokers that refuse or cannot be found. */
  rounds: number;
  /** A broker that takes the connection but does not answer within this is not waited for. */
  answerTimeoutMs: number;
  /** Wait before round n+1 (n from 1): 1 s, 2 s, 4 s... */
  backoffMs: (round: number) => number;
}

export const PROBE_DEFAULTS: ProbeOptions = {
  rounds: 4,
  answerTimeoutMs: 8_000,
  backoffMs: (round) => 1000 * 2 ** (round - 1),
};

type Outcome = { ok: true } | { ok: false; reason: string; retry: boolean };

/**
 * Checks that one of the brokers answers a Kafka request before the recorder opens its
 * clients, whose retries would take minutes against a port that accepts and never answers and
 * would print kafkajs's own lines for a closed one. One line per round while retrying; an
 * InputError with the reason when no broker answers.
 */
export async function probeKafka(
  brokers: readonly string[],
  say: (line: string) => void,
  options: ProbeOptions = PROBE_DEFAULTS,
): Promise<void> {
  for (let round = 1; ; round++) {
    const outcomes = await Promise.all(brokers.map((b) => probeOne(b, options.answerTimeoutMs)));
    if (outcomes.some((o) => o.ok)) return;
    const failed = outcomes as Extract<Outcome, { ok: false }>[];
    const reasons = brokers.map((b, i) => `${b}: ${failed[i]!.reason}`).join('; ');
    const retry = failed.some((o) => o.retry) && round < options.rounds;
    if (!retry) {
      const hint = failed.every((o) => !o.retry)
        ? 'is it a Kafka broker?'
        : 'is the broker running?';
      throw new InputError(`cannot reach Kafka at ${reasons} (${hint})`);
    }
    const waitMs = options.backoffMs(round);
    say(`kafka ${reasons}; trying again in ${Math.round(waitMs / 1000)} s`);
    await new Promise((r) => setTimeout(r, waitMs));
  }
}

async function probeOne(broker: string, answerTimeoutMs: number): Promise<Outcome> {
  const admin = new Kafka({
    clientId: 'magicport-probe',
    brokers: [broker],
    connectionTimeout: Math.min(3000, answerTimeoutMs),
    requestTimeout: answerTimeoutMs,
    enforceRequestTimeout: true,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  }).admin();
  let timer: NodeJS.Timeout | undefined;
  const noAnswer = new Promise<Outcome>((resolve) => {
    timer = setTimeout(
      () =>
        resolve({
          ok: false,
          reason: `no answer within ${Math.round(answerTimeoutMs / 1000)} s`,
          retry: false,
        }),
      answerTimeoutMs,
    );
  });
  const attempt = (async (): Promise<Outcome> => {
    try {
      await admin.connect();
      await admin.describeCluster();
      return { ok: true };
    } catch (error) {
      return describeFailure(error, answerTimeoutMs);
    }
  })();
  try {
    return await Promise.race([attempt, noAnswer]);
  } finally {
    clearTimeout(timer);
    await admin.disconnect().catch(() => undefined);
  }
}

function describeFailure(error: unknown, answerTimeoutMs: number): Outcome {
  let cause: unknown = error;
  while (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z_]+$/.test(code))
      return { ok: false, reason: systemErrorWords({ code }), retry: true };
    if (cause.name === 'KafkaJSRequestTimeoutError' || /timed out/i.test(cause.message))
      return {
        ok: false,
        reason: `no answer within ${Math.round(answerTimeoutMs / 1000)} s`,
        retry: false,
      };
    cause = (cause as { cause?: unknown }).cause;
  }
  return { ok: false, reason: 'the broker did not answer as Kafka does', retry: false };
}
