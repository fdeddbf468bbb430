import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** A tool the local broker needs is missing or too old; the message says what to install. */
export class PrerequisiteError extends Error {
  override name = 'PrerequisiteError';
}

// Kafka 4.x brokers need Java 17 (clients 11).
const minJavaMajor = 17;

export function javaCommand(env: NodeJS.ProcessEnv = process.env): string {
  return env.JAVA_HOME ? join(env.JAVA_HOME, 'bin', 'java') : 'java';
}

/** `java -version` output -> major version: `"1.8.0_402"` is 8, `"17.0.15"` is 17, `"21"` is 21. */
export function parseJavaMajor(versionOutput: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?/.exec(versionOutput);
  if (!match) return undefined;
  const first = Number(match[1]);
  return first === 1 ? Number(match[2]) : first;
}

/** The java command to run the broker with, after checking that it runs and is new enough. */
export function requireJava(): string {
  const java = javaCommand();
  const install = `install a JDK ${minJavaMajor} or newer (e.g. apt-get install openjdk-17-jdk-headless) or point JAVA_HOME at one`;
  const probe = spawnSync(java, ['-version'], { encoding: 'utf8' });
  if (probe.error) {
    throw new PrerequisiteError(
      `Java ${minJavaMajor}+ is needed for the local Kafka broker, but "${java}" could not be run (${probe.error.message}): ${install}`,
    );
  }
  const output = `${probe.stderr}${probe.stdout}`;
  const major = parseJavaMajor(output);
  if (major === undefined) {
    const firstLine = output.split('\n')[0] ?? '';
    throw new PrerequisiteError(
      `cannot read the Java version from "${java} -version" (said: ${firstLine.trim() || 'nothing'}): ${install}`,
    );
  }
  if (major < minJavaMajor) {
    throw new PrerequisiteError(
      `Java ${minJavaMajor}+ is needed for the local Kafka broker, but "${java}" is Java ${major}: ${install}`,
    );
  }
  return java;
}

/** Maven is only needed for the first download of the broker jars. */
export function requireMaven(): string {
  const mvn = process.platform === 'win32' ? 'mvn.cmd' : 'mvn';
  const probe = spawnSync(mvn, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    const why = probe.error ? probe.error.message : `exit code ${probe.status}`;
    throw new PrerequisiteError(
      `Maven is needed once to download the Kafka broker jars (deploy/kafka/pom.xml), but "${mvn}" could not be run (${why}): install Maven 3.6+ (e.g. apt-get install maven)`,
    );
  }
  return mvn;
}
