export { ImageStore } from './image-store.js';
export type { ImageDeleteItem, ImageResolver, ImageStoreOptions, ImageSummary, ResolvedImage } from './image-store.js';
export { parseImageRef, repoTag } from './image-ref.js';
export type { ImageRef } from './image-ref.js';
