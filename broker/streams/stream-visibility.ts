/**
 * Which of a stream's events reads see: the rule lives in storage (storage/streams/stream-visibility.ts),
 * where the cleaner removes exactly what it hides; this is the broker's view of it.
 */
import type { StreamMetadata, StreamMetadataView } from '../../storage/index.js';

export { type StreamView, streamView as viewOf } from '../../storage/index.js';

export function metadataView(metadata: StreamMetadata): StreamMetadataView {
  return { maxCount: metadata.maxCount ?? null, maxAgeMs: metadata.maxAgeMs ?? null, truncateBefore: metadata.truncateBefore ?? null };
}
