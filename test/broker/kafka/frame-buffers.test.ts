/** The listener's reused receive buffers for large frames (broker/kafka/frame-buffers.ts). */
import { describe, expect, it } from 'vitest';
import { FrameBuffers } from '../../../broker/kafka/frame-buffers.js';

describe('FrameBuffers', () => {
  it('answers exactly the size asked, and a buffer given back serves the next frame that fits', () => {
    const frames = new FrameBuffers(8 << 20);
    const first = frames.take(1_000_123);
    expect(first.length).toBe(1_000_123);
    frames.give(first);
    expect(frames.heldBytes).toBeGreaterThanOrEqual(1_000_123);
    const second = frames.take(999_000);
    expect(second.length).toBe(999_000);
    expect(second.buffer).toBe(first.buffer);
    expect(frames.heldBytes).toBe(0);
  });

  it('takes the smallest free buffer that fits, and a new one when none does', () => {
    const frames = new FrameBuffers(64 << 20);
    const small = frames.take(100_000);
    const large = frames.take(5_000_000);
    frames.give(large);
    frames.give(small);
    expect(frames.take(90_000).buffer).toBe(small.buffer);
    const fresh = frames.take(6_000_000);
    expect(fresh.buffer).not.toBe(large.buffer);
    expect(frames.take(4_000_000).buffer).toBe(large.buffer);
  });

  it('holds at most bytesMax: a buffer given back past it is left to the collector', () => {
    const frames = new FrameBuffers(3 << 20);
    const a = frames.take(2 << 20);
    const b = frames.take(2 << 20);
    frames.give(a);
    frames.give(b);
    expect(frames.heldBytes).toBe(2 << 20);
  });

  it('keeps no buffer it did not answer (a view into the middle of one)', () => {
    const frames = new FrameBuffers(8 << 20);
    frames.give(Buffer.alloc(1 << 20).subarray(10));
    expect(frames.heldBytes).toBe(0);
  });
});
