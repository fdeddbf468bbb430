import { Command } from 'commander';
import { runTranscript, TranscriptError } from '@magicport/protocol';
import { InputError, parseJson, readInput } from '../input-file';
import { escapeForTerminal } from '../output';

/**
 * `magicport transcript run FILE|-`: drives one device-model instance from a DESIGN §3
 * transcript and prints the result object. Exit 0 for any well-formed transcript, whatever the
 * guest did; a malformed one exits 1 with one line per problem on stderr.
 */
export function transcriptCommand(): Command {
  const transcript = new Command('transcript').description(
    'run device-model transcripts offline (no service needed)',
  );
  transcript
    .command('run')
    .description('run a transcript and print responses, handshake outcomes and log lines as JSON')
    .argument('<file>', 'transcript JSON file, or - to read stdin')
    .action(async (file: string) => {
      try {
        const input = await readInput(file);
        const result = runTranscript(parseJson(input));
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      } catch (error) {
        if (error instanceof TranscriptError) {
          const source = file === '-' ? 'stdin' : escapeForTerminal(file);
          fail(error.problems.map((problem) => `${source}: ${problem}`));
        } else if (error instanceof InputError) {
          fail([error.message]);
        } else {
          throw error;
        }
      }
    });
  return transcript;
}

function fail(lines: readonly string[]): void {
  process.stderr.write(lines.map((line) => `magicport transcript run: ${line}\n`).join(''));
  process.exitCode = 1;
}
