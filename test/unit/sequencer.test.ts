import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareSequencers, isValidSequencer, sequencerOrderKey } from '../../src/core/sequencer.js';

const hex = fc.stringMatching(/^[0-9A-F]{1,24}$/);

describe('sequencer order', () => {
  it('right-pads the shorter sequencer with zeros before comparing (S3 rule)', () => {
    expect(compareSequencers('0055AED6DCD90281E5', '0055AED6DCD90281E6')).toBeLessThan(0);
    expect(compareSequencers('0055AED6DCD90281E5', '0055AED6DCD90281E500')).toBe(0);
    // Numerically 0x56 < 0x0055AE..., but S3 pads on the right, so "56" is the newer one.
    expect(compareSequencers('56', '0055AED6DCD90281E5')).toBeGreaterThan(0);
    expect(compareSequencers('0055aed6dcd90281e6', '0055AED6DCD90281E5')).toBeGreaterThan(0);
  });

  it('orders order keys as strings exactly as compareSequencers orders sequencers', () => {
    fc.assert(
      fc.property(hex, hex, (a, b) => {
        const plain =
          sequencerOrderKey(a) === sequencerOrderKey(b)
            ? 0
            : sequencerOrderKey(a) < sequencerOrderKey(b)
              ? -1
              : 1;
        expect(plain).toBe(Math.sign(compareSequencers(a, b)));
      }),
    );
  });

  it('is antisymmetric', () => {
    fc.assert(
      fc.property(
        hex,
        hex,
        (a, b) => Math.sign(compareSequencers(a, b)) === -Math.sign(compareSequencers(b, a)),
      ),
    );
  });

  it('accepts hex strings only', () => {
    expect(isValidSequencer('0055AED6DCD90281E5')).toBe(true);
    expect(isValidSequencer('')).toBe(false);
    expect(isValidSequencer('xyz')).toBe(false);
    expect(isValidSequencer(42)).toBe(false);
  });
});
