/* SPDX-License-Identifier: MIT */
/*
 * libpcap for `jitterd pcap`, opened when the subcommand runs (dlopen), not
 * linked: the daemon is this same binary, and libpcap with what it loads
 * (libdbus) would be resident memory it never uses (docs/memory.md).
 * Include this instead of <pcap/pcap.h>: the calls below go through
 * pointers that pcap_lib_open() fills.
 */
#ifndef JD_PCAP_LIB_H
#define JD_PCAP_LIB_H

#include <pcap/pcap.h>

/* Every libpcap function jitterd calls. */
#define JD_PCAP_FUNCS(X)                                                                           \
	X(pcap_activate)                                                                           \
	X(pcap_breakloop)                                                                          \
	X(pcap_close)                                                                              \
	X(pcap_compile)                                                                            \
	X(pcap_create)                                                                             \
	X(pcap_datalink)                                                                           \
	X(pcap_datalink_val_to_name)                                                               \
	X(pcap_dispatch)                                                                           \
	X(pcap_file)                                                                               \
	X(pcap_fopen_offline_with_tstamp_precision)                                                \
	X(pcap_freecode)                                                                           \
	X(pcap_get_tstamp_precision)                                                               \
	X(pcap_geterr)                                                                             \
	X(pcap_major_version)                                                                      \
	X(pcap_next_ex)                                                                            \
	X(pcap_offline_filter)                                                                     \
	X(pcap_open_dead)                                                                          \
	X(pcap_set_buffer_size)                                                                    \
	X(pcap_set_immediate_mode)                                                                 \
	X(pcap_set_snaplen)                                                                        \
	X(pcap_set_timeout)                                                                        \
	X(pcap_set_tstamp_precision)                                                               \
	X(pcap_setfilter)                                                                          \
	X(pcap_setnonblock)                                                                        \
	X(pcap_stats)

#define JD_PCAP_DECLARE(f) extern __typeof__(f) *jd_##f;
JD_PCAP_FUNCS(JD_PCAP_DECLARE)
#undef JD_PCAP_DECLARE

/* dlopen libpcap (once). 0, or -ENOENT after saying why on stderr. */
int pcap_lib_open(void);

#ifndef JD_PCAP_LIB_C
#define pcap_activate				 jd_pcap_activate
#define pcap_breakloop				 jd_pcap_breakloop
#define pcap_close				 jd_pcap_close
#define pcap_compile				 jd_pcap_compile
#define pcap_create				 jd_pcap_create
#define pcap_datalink				 jd_pcap_datalink
#define pcap_datalink_val_to_name		 jd_pcap_datalink_val_to_name
#define pcap_dispatch				 jd_pcap_dispatch
#define pcap_file				 jd_pcap_file
#define pcap_fopen_offline_with_tstamp_precision jd_pcap_fopen_offline_with_tstamp_precision
#define pcap_freecode				 jd_pcap_freecode
#define pcap_get_tstamp_precision		 jd_pcap_get_tstamp_precision
#define pcap_geterr				 jd_pcap_geterr
#define pcap_major_version			 jd_pcap_major_version
#define pcap_next_ex				 jd_pcap_next_ex
#define pcap_offline_filter			 jd_pcap_offline_filter
#define pcap_open_dead				 jd_pcap_open_dead
#define pcap_set_buffer_size			 jd_pcap_set_buffer_size
#define pcap_set_immediate_mode			 jd_pcap_set_immediate_mode
#define pcap_set_snaplen			 jd_pcap_set_snaplen
#define pcap_set_timeout			 jd_pcap_set_timeout
#define pcap_set_tstamp_precision		 jd_pcap_set_tstamp_precision
#define pcap_setfilter				 jd_pcap_setfilter
#define pcap_setnonblock			 jd_pcap_setnonblock
#define pcap_stats				 jd_pcap_stats
#endif

#endif
