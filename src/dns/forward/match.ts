import { Flag, HEADER_LENGTH } from '../wire/constants.js';

const lower = (b: number): number => (b >= 0x41 && b <= 0x5a ? b | 0x20 : b);

/**
 * Whether `response` answers `query` (whose question section ends at `questionEnd`): a response
 * with our ID and the same single question, compared without case (servers may change it).
 */
export function answersQuery(query: Buffer, questionEnd: number, response: Buffer): boolean {
  if (response.length < questionEnd) return false;
  if (response.readUInt16BE(0) !== query.readUInt16BE(0)) return false;
  if (!(response.readUInt16BE(2) & Flag.QR) || response.readUInt16BE(4) !== 1) return false;
  for (let i = HEADER_LENGTH; i < questionEnd; i++) if (lower(response[i]!) !== lower(query[i]!)) return false;
  return true;
}
