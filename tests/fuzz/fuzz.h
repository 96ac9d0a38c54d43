/* SPDX-License-Identifier: MIT */
/*
 * What the libFuzzer targets share. Each tests/fuzz/fuzz_<name>.c defines
 * LLVMFuzzerTestOneInput() and has its seeds in tests/fuzz/corpus/<name>/;
 * `make fuzz` builds every one (clang, -fsanitize=fuzzer,address,undefined)
 * and runs each for FUZZ_SECONDS; a crash fails it.
 */
#ifndef JD_FUZZ_H
#define JD_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Where parsers write their error messages: nowhere, but written. */
static inline FILE *fuzz_devnull(void)
{
	static FILE *f;

	if (!f)
		f = fopen("/dev/null", "w");
	return f;
}

/* The input as a C string (malloc'd; free it). */
static inline char *fuzz_string(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
