// SPDX-License-Identifier: MIT
/* jitterd.yaml: the whole schema, every collector's rows and checks (globs,
 * addresses, cpu lists), through config_parse() as a file would be. */
#include "core/config.h"
#include "fuzz.h"
#include "lib/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct jd_config cfg; /* large: not on the stack */

	log_max_level = LOG_ERR;
	config_parse(&cfg, "fuzz.yaml", (const char *)data, size, 4, fuzz_devnull());
	return 0;
}
