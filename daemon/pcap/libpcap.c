// SPDX-License-Identifier: MIT
#define JD_PCAP_LIB_C
#include "pcap/libpcap.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>

#define JD_PCAP_DEFINE(f) __typeof__(f) *jd_##f;
JD_PCAP_FUNCS(JD_PCAP_DEFINE)
#undef JD_PCAP_DEFINE

int pcap_lib_open(void)
{
	static void *lib;

	if (lib)
		return 0;
	/* Debian's libpcap0.8: the soname of libpcap 1.x. */
	lib = dlopen("libpcap.so.0.8", RTLD_NOW | RTLD_LOCAL);
	if (!lib)
		lib = dlopen("libpcap.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		fprintf(stderr, "jitterd pcap: needs libpcap (Debian: libpcap0.8): %s\n",
			dlerror());
		return -ENOENT;
	}
#define JD_PCAP_LOAD(f)                                                                            \
	if (!(jd_##f = (__typeof__(f) *)dlsym(lib, #f))) {                                         \
		fprintf(stderr, "jitterd pcap: libpcap has no %s\n", #f);                          \
		dlclose(lib);                                                                      \
		lib = NULL;                                                                        \
		return -ENOENT;                                                                    \
	}
	JD_PCAP_FUNCS(JD_PCAP_LOAD)
#undef JD_PCAP_LOAD
	return 0;
}
