/* SPDX-License-Identifier: MIT */
/* `jitterd pcap match A B`: the same packets at two capture points. */
#ifndef JD_PCAP_MATCH_H
#define JD_PCAP_MATCH_H

#include "pcap/capture.h"

/* argv: the two files. Returns the exit code. */
int pcap_match_main(int argc, char **argv, const struct jd_socket_classes *classes,
		    const struct pcap_options *o, enum pcap_output output, const char *html);

#endif
