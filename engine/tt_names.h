/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef TT_NAMES_H
#define TT_NAMES_H

/**
 * @file
 * Printable names from X-macro tables: the one lookup behind every
 * tt_*_name() and tt_*_rule() function of the engine.
 *
 * A value off the table (a reserved code, corrupt input, a hole left by a
 * designated initialiser) must still print, so the lookup never returns NULL:
 * it returns the caller's fallback ("?" in most modules; "unknown" where the
 * module's header promises it).
 *
 * Execution context: any thread; pure functions.
 */

#include <stddef.h>

/**
 * @param table     names indexed by value; entries may be NULL.
 * @param n         entries in @p table.
 * @param i         the value.
 * @param fallback  returned when @p i is off the table or its entry is NULL.
 * @return the name, never NULL if @p fallback is not.
 */
static inline const char *tt_name_at(const char *const *table, size_t n, unsigned int i,
				     const char *fallback)
{
	return i < n && table[i] != NULL ? table[i] : fallback;
}

/** tt_name_at() on an array whose size the compiler knows. */
#define TT_NAME_AT(table, i, fallback)                                                             \
	tt_name_at(table, sizeof(table) / sizeof((table)[0]), (unsigned int)(i), fallback)

#endif /* TT_NAMES_H */
