// SPDX-License-Identifier: MIT
/* The web config (exporter-toolkit format), without the files it names. */
#include "fuzz.h"
#include "http/webconfig.h"
#include "lib/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct web_config wc;

	log_max_level = LOG_ERR;
	if (!webconfig_parse(&wc, "fuzz.yml", (const char *)data, size, fuzz_devnull()))
		webconfig_free(&wc);
	return 0;
}
