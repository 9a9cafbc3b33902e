// The storage engine's public face. The broker imports from here; internals stay out.
export * from './codec/index.js';
export * from './errors.js';
export { storageLimits } from './limits.js';
export { forEachBounded } from './concurrency.js';
export { type FileSystem, type FileStat, nodeFileSystem } from './io/file-system.js';
export { type LogConfig, type FlushPolicy, type CleanupPolicy, defaultLogConfig, flushPolicyGrammar, parseFlushPolicy } from './log/config.js';
export { LogManager, type LogManagerOptions, STREAM_CLEAN_MIN_HIDDEN_EVENTS_DEFAULT } from './log/log-manager.js';
export type { CompactionSummary, PartitionCleaning } from './log/cleaner.js';
export { PartitionLog, type AppendOptions, type AppendResult, type ReadResult, type PartitionStats } from './log/partition-log.js';
export type { StreamAppendOutcome, StreamAppendRequest } from './log/stream-appends.js';
export type { RecoveryEvent } from './log/partition-open.js';
export { scrubDataDir, type ScrubReport, type ScrubProblem, type ScrubProgress, type ScrubOptions } from './log/scrub.js';
export { repairDataDir, type RepairReport, type PartitionCut, type RepairOptions } from './log/repair.js';
export { assertDataDirectory } from './log/data-dir.js';
export { type ExpectedVersion, type StreamCondition, expectedVersionMatches } from './streams/expected-version.js';
export type { StreamAppendAnswer, StreamEventView, StreamInfo, StreamMetadataView } from './streams/stream-wire.js';
export type { StreamBase, StreamMetadata, StreamSettings, StreamMetadataTable } from './streams/stream-metadata.js';
export { type StreamView, streamView } from './streams/stream-visibility.js';
