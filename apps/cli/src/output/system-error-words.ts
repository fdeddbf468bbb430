import { getSystemErrorMap } from 'node:util';

/** Plain words for the file-system errors people meet; the rest use libuv's own description. */
const WORDS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'not permitted',
  EISDIR: 'is a directory, not a file',
  ENOTDIR: 'a part of the path is a file, not a folder',
  EEXIST: 'already exists',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'the file system is read-only',
  EIO: 'input/output error from the device',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files on the system',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many levels of symbolic links',
  EBUSY: 'the file or device is busy',
  ENXIO: 'no such device',
  ENODEV: 'no such device',
  EINVAL: 'not possible here',
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed for now',
};

export interface SystemError {
  code: string;
  errno?: number;
  syscall?: string;
  path?: string;
}

export function isSystemError(error: unknown): error is SystemError & Error {
  return (
    error instanceof Error &&
    typeof (error as Partial<SystemError>).code === 'string' &&
    /^E[A-Z0-9_]+$/.test((error as unknown as SystemError).code)
  );
}

/** `EISDIR` -> "is a directory, not a file"; never the raw code or message. */
export function systemErrorWords(error: SystemError): string {
  const known = WORDS[error.code];
  if (known) return known;
  const described =
    typeof error.errno === 'number' ? getSystemErrorMap().get(error.errno)?.[1] : undefined;
  return described ?? 'the operating system refused';
}
