import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** deploy/kafka itself: the pom, the log4j2 config and the jar cache live next to this file. */
export const deployDir = fileURLToPath(new URL('.', import.meta.url));
export const repoRoot = join(deployDir, '..', '..');
export const pomFile = join(deployDir, 'pom.xml');
export const log4jConfigFile = join(deployDir, 'log4j2.properties');
export const jarsDir = join(deployDir, '.cache', 'jars');
/** Each broker instance keeps its state (pid, ports, data, log) in its own folder under here. */
export const instancesRoot = join(repoRoot, '.cache', 'kafka');
