import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { conflict, notFound } from '../../util/errors.js';
import type { Logger } from '../../util/logger.js';
import { imageIdPrefix, parseImageRef, repoTag } from './image-ref.js';
import { extractTarball, receiveTarball, treeSize } from './rootfs-tarball.js';

/** One image as `GET /images/json` lists it (the fields Shoal knows; the API adds the constant ones). */
export interface ImageSummary {
  Id: string;
  RepoTags: string[];
  /** Unix seconds. */
  Created: number;
  Size: number;
}

/** Where an image's root filesystem is unpacked. */
export interface ResolvedImage {
  id: string;
  rootfs: string;
}

/** What an executor needs from an image store. */
export interface ImageResolver {
  resolve(ref: string): Promise<ResolvedImage | undefined>;
}

export type ImageDeleteItem = { Untagged: string } | { Deleted: string };

export interface ImageStoreOptions {
  /** The daemon's data dir: images go to `<dataDir>/images/<hex id>/rootfs`. */
  dataDir: string;
  logger: Logger;
}

type ImageMeta = Omit<ImageSummary, 'RepoTags'>;
/** `repository:tag` → `sha256:<hex>`. */
type Repositories = Record<string, string>;

const hexOf = (id: string): string => id.replace(/^sha256:/, '');

/**
 * Root filesystem images, as `docker import` makes them: one unpacked tree per image ID (the sha256 of
 * the uncompressed tarball) and a table of tags. State lives on disk only, so several instances
 * (a daemon before and after a restart) see the same images; writes of one instance are serialised.
 */
export class ImageStore implements ImageResolver {
  private readonly dir: string;
  private readonly log: Logger;
  private writes: Promise<unknown> = Promise.resolve();

  constructor(opts: ImageStoreOptions) {
    this.dir = join(opts.dataDir, 'images');
    this.log = opts.logger.child({ component: 'image-store' });
  }

  /** Unpacks a root filesystem tarball (plain or gzip) and tags it `repo:tag` when given; returns the image. */
  async importImage(source: Readable | Buffer, tag?: string): Promise<ImageSummary> {
    const ref = tag ? parseImageRef(tag) : undefined;
    await mkdir(this.dir, { recursive: true });
    const staging = await mkdtemp(join(this.dir, '.import-'));
    try {
      const tarFile = join(staging, 'layer.tar');
      const hex = await receiveTarball(source, tarFile);
      const id = `sha256:${hex}`;
      if (!existsSync(this.imageDir(hex))) {
        const rootfs = join(staging, 'rootfs');
        await extractTarball(tarFile, rootfs);
        const meta: ImageMeta = { Id: id, Created: Math.floor(Date.now() / 1000), Size: await treeSize(rootfs) };
        await writeFile(join(staging, 'image.json'), JSON.stringify(meta));
        await rm(tarFile);
        // Atomic: an image dir is complete or absent. A concurrent import of the same tarball may win.
        await rename(staging, this.imageDir(hex)).catch((err: NodeJS.ErrnoException) => {
          if (!existsSync(this.imageDir(hex))) throw err;
        });
        this.log.info({ id, tag }, 'image imported');
      }
      if (ref) await this.serialised(async () => this.writeRepositories({ ...(await this.readRepositories()), [repoTag(ref)]: id }));
      return (await this.summary(hex))!;
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  /** The image a reference names (`busybox`, `busybox:1`, `name:tag@digest`, an ID or ID prefix), if present. */
  async resolve(ref: string): Promise<ResolvedImage | undefined> {
    const hex = await this.find(ref);
    return hex === undefined ? undefined : { id: `sha256:${hex}`, rootfs: join(this.imageDir(hex), 'rootfs') };
  }

  async list(): Promise<ImageSummary[]> {
    const out: ImageSummary[] = [];
    for (const hex of await this.imageHexes()) {
      const s = await this.summary(hex);
      if (s) out.push(s);
    }
    return out.sort((a, b) => b.Created - a.Created);
  }

  /**
   * `docker rmi`: a tag is untagged, and the image deleted once no tag is left; an ID deletes the image
   * and all its tags, which needs `force` when more than one repository refers to it.
   */
  async remove(ref: string, opts: { force?: boolean } = {}): Promise<ImageDeleteItem[]> {
    return this.serialised(async () => {
      const repos = await this.readRepositories();
      const hex = await this.find(ref);
      if (hex === undefined) throw notFound(`No such image: ${ref}`);
      const id = `sha256:${hex}`;
      const tags = Object.keys(repos).filter((t) => repos[t] === id);
      const byTag = tags.find((t) => t === this.tagKey(ref));
      const untag = byTag ? [byTag] : tags;
      if (!byTag && tags.length > 1 && !opts.force) {
        throw conflict(`conflict: unable to delete ${hex.slice(0, 12)} (must be forced) - image is referenced in multiple repositories`);
      }
      for (const t of untag) delete repos[t];
      await this.writeRepositories(repos);
      const items: ImageDeleteItem[] = untag.map((t) => ({ Untagged: t }));
      if (!Object.values(repos).includes(id)) {
        await rm(this.imageDir(hex), { recursive: true, force: true });
        items.push({ Deleted: id });
      }
      return items;
    });
  }

  private async find(ref: string): Promise<string | undefined> {
    const key = this.tagKey(ref);
    const tagged = key === undefined ? undefined : (await this.readRepositories())[key];
    if (tagged && existsSync(this.imageDir(hexOf(tagged)))) return hexOf(tagged);
    const prefix = imageIdPrefix(ref);
    if (prefix === undefined) return undefined;
    const matches = (await this.imageHexes()).filter((h) => h.startsWith(prefix));
    return matches.length === 1 ? matches[0] : undefined;
  }

  /** The tag table key of a reference, or undefined when it cannot be a name (e.g. `sha256:<hex>`). */
  private tagKey(ref: string): string | undefined {
    if (/^sha256:/.test(ref)) return undefined;
    return repoTag(parseImageRef(ref));
  }

  private async summary(hex: string): Promise<ImageSummary | undefined> {
    let meta: ImageMeta;
    try {
      meta = JSON.parse(await readFile(join(this.imageDir(hex), 'image.json'), 'utf8')) as ImageMeta;
    } catch {
      return undefined;
    }
    const repos = await this.readRepositories();
    return { ...meta, RepoTags: Object.keys(repos).filter((t) => repos[t] === meta.Id).sort() };
  }

  private async imageHexes(): Promise<string[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    return names.filter((n) => /^[0-9a-f]{64}$/.test(n));
  }

  private imageDir(hex: string): string {
    return join(this.dir, hex);
  }

  private get repositoriesFile(): string {
    return join(this.dir, 'repositories.json');
  }

  private async readRepositories(): Promise<Repositories> {
    try {
      return JSON.parse(await readFile(this.repositoriesFile, 'utf8')) as Repositories;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw err;
    }
  }

  private async writeRepositories(repos: Repositories): Promise<void> {
    const tmp = `${this.repositoriesFile}.tmp`;
    await writeFile(tmp, JSON.stringify(repos, null, 1));
    await rename(tmp, this.repositoriesFile);
  }

  private serialised<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.writes.then(fn, fn);
    this.writes = run.catch(() => undefined);
    return run;
  }
}
