/* SPDX-License-Identifier: MIT */
/* Small helpers of the language itself, for any file. */
#ifndef JD_UTIL_H
#define JD_UTIL_H

/* The number of elements of an array (not of a pointer). */
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
