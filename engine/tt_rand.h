/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_RAND_H
#define TT_RAND_H

/**
 * @file
 * The engine's one pseudo-random generator: splitmix64 (Steele, Lea and
 * Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014), on a
 * 64-bit state the caller owns.
 *
 * Seedable and deterministic, so that a simulation replays bit for bit from
 * its seed; no global state, so that every object draws its own sequence. Its
 * quality is ample for what the engine draws: BFD transmit jitter (RFC 5880
 * §6.8.7), data-channel initial sequence numbers and nonces. It is not a
 * cryptographic generator.
 *
 * Execution context: any thread; the state is the caller's to serialise.
 */

#include <stdint.h>

/**
 * Advance @p state and return the next value of its sequence.
 *
 * @param state  the generator; any value is a valid seed (0 included).
 * @return 64 well-mixed bits.
 */
static inline uint64_t tt_rand_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

#endif /* TT_RAND_H */
