import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { jarsDir, pomFile } from './paths';
import { requireMaven } from './toolchain';

// Written last into a complete jar folder: the folder is current iff it holds the pom's hash.
const markerName = '.pom-sha256';

async function currentMarker(dir: string): Promise<string | undefined> {
  return readFile(join(dir, markerName), 'utf8').then(
    (text) => text.trim(),
    () => undefined,
  );
}

/**
 * The folder of broker jars for deploy/kafka/pom.xml. Maven runs only when the pom changed since
 * the last resolve (or never ran); later calls are offline and take milliseconds.
 */
export async function ensureBrokerJars(progress: (message: string) => void): Promise<string> {
  const pomHash = createHash('sha256')
    .update(await readFile(pomFile))
    .digest('hex');
  if ((await currentMarker(jarsDir)) === pomHash) return jarsDir;

  const mvn = requireMaven();
  progress(`resolving the Kafka broker jars with Maven into ${jarsDir} (once per pom change)`);
  // Stage into a private folder so a concurrent start never sees a half-copied jar set.
  const staging = `${jarsDir}.staging-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  const args = ['-B', '-q', '-f', pomFile, 'dependency:copy-dependencies', `-Djars.dir=${staging}`];
  try {
    await promisify(execFile)(mvn, args, { maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    const output = String((err as { stdout?: string }).stdout ?? '').trim();
    const tail = output.split('\n').slice(-15).join('\n');
    throw new Error(
      `Maven could not resolve the Kafka broker jars (${mvn} ${args.join(' ')}):\n${tail}`,
      {
        cause: err,
      },
    );
  }
  await writeFile(join(staging, markerName), pomHash);
  if ((await currentMarker(jarsDir)) === pomHash) {
    // Another start resolved the same pom meanwhile: keep its folder, a broker may be using it.
    await rm(staging, { recursive: true, force: true });
    return jarsDir;
  }
  await rm(jarsDir, { recursive: true, force: true });
  await rename(staging, jarsDir);
  return jarsDir;
}
