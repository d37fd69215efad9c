import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, randomFillSync } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { ShoalError } from '../../../util/errors.js';
import { replaceDurably } from '../../store/durable-file.js';

const IV = 12;
const TAG = 16;

/**
 * The data key that encrypts the log and snapshots at rest (AES-256-GCM). Each record's IV is a
 * random 8-byte prefix, drawn per run (and again every 2^32 records), and a counter: unique for
 * the key without a call to the system's random source per record (NIST SP 800-38D §8.2.1),
 * which cost about 20 µs of a log write.
 */
export class DataKey {
  private readonly iv = Buffer.alloc(IV);
  private counter = 0;

  constructor(private readonly key: Buffer) {
    randomFillSync(this.iv, 0, IV - 4);
  }

  static generate(): DataKey {
    return new DataKey(randomBytes(32));
  }

  seal(plain: Uint8Array): Buffer {
    if (this.counter === 0xffffffff) {
      randomFillSync(this.iv, 0, IV - 4);
      this.counter = 0;
    }
    const iv = this.iv;
    iv.writeUInt32BE(++this.counter, IV - 4);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([c.update(plain), c.final()]);
    return Buffer.concat([iv, c.getAuthTag(), body]);
  }

  /** Throws if the data was not sealed by this key or was altered. */
  open(sealed: Uint8Array): Buffer {
    const buf = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
    const d = createDecipheriv('aes-256-gcm', this.key, buf.subarray(0, IV));
    d.setAuthTag(buf.subarray(IV, IV + TAG));
    return Buffer.concat([d.update(buf.subarray(IV + TAG)), d.final()]);
  }

  get bytes(): Buffer {
    return this.key;
  }
}

interface KeyFile {
  version: 1;
  /** The data key in the clear: the swarm is not autolocked. */
  dek?: string;
  /** The data key sealed by the key derived from the unlock key. */
  sealed?: string;
}

/** Docker's words for a manager whose store is sealed by an unlock key it has not been given. */
export const SWARM_LOCKED = 'Swarm is encrypted and needs to be unlocked before it can be used. Please use "docker swarm unlock" to unlock it.';

/** The store is autolocked and no unlock key was given. */
export class SwarmLockedError extends ShoalError {
  constructor() {
    super('failed_precondition', SWARM_LOCKED);
  }
}

/** The unlock key given does not open the store. */
export class InvalidUnlockKeyError extends ShoalError {
  constructor() {
    super('invalid_argument', 'swarm could not be unlocked: invalid key provided');
  }
}

const keyFromUnlockKey = (unlockKey: string): DataKey =>
  new DataKey(Buffer.from(hkdfSync('sha256', unlockKey, 'shoal-raft', 'key-encryption-key', 32)));

/**
 * Where the data key is kept (`keys.json` beside the log): in the clear, or, with autolock,
 * sealed by a key derived from the unlock key, so a stolen disk without the unlock key reads
 * nothing. Opening a locked store without the right key fails with `failed_precondition`.
 */
export function loadDataKey(path: string, unlockKey: string | undefined): DataKey {
  if (!existsSync(path)) {
    const dek = DataKey.generate();
    writeKeyFile(path, dek, unlockKey);
    return dek;
  }
  const file = JSON.parse(readFileSync(path, 'utf8')) as KeyFile;
  if (file.dek) return new DataKey(Buffer.from(file.dek, 'base64'));
  if (!unlockKey) throw new SwarmLockedError();
  try {
    return new DataKey(keyFromUnlockKey(unlockKey).open(Buffer.from(file.sealed!, 'base64')));
  } catch {
    throw new InvalidUnlockKeyError();
  }
}

/** Seals the data key under a new unlock key (or stores it in the clear when `unlockKey` is undefined). */
export function writeKeyFile(path: string, dek: DataKey, unlockKey: string | undefined): void {
  const file: KeyFile = unlockKey
    ? { version: 1, sealed: keyFromUnlockKey(unlockKey).seal(dek.bytes).toString('base64') }
    : { version: 1, dek: dek.bytes.toString('base64') };
  replaceDurably(path, JSON.stringify(file));
}
