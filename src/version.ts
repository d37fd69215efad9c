/** Shoal's version, as `version`, `info` and node descriptions show it. */
export const SHOAL_VERSION = '0.1.0';
