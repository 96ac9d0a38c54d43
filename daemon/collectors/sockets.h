/* SPDX-License-Identifier: MIT */
/*
 * The sockets collector's metric families, named once: sockets.c
 * describes them by these names, and whoever reads them (its anomaly
 * signals) uses the same.
 */
#ifndef JD_COLLECTOR_SOCKETS_H
#define JD_COLLECTOR_SOCKETS_H

#define SOCKETS_RECEIVE_QUEUE	   "jitterd_socket_receive_queue_bytes"
#define SOCKETS_SEND_QUEUE	   "jitterd_socket_send_queue_bytes"
#define SOCKETS_RECEIVE_QUEUE_PEAK "jitterd_socket_receive_queue_peak_bytes"
#define SOCKETS_SEND_QUEUE_PEAK	   "jitterd_socket_send_queue_peak_bytes"
#define SOCKETS_DROPS		   "jitterd_socket_drops_total"
#define SOCKETS_DROPPED_BYTES	   "jitterd_socket_dropped_bytes_total"
#define SOCKETS_RECEIVE_LATENCY	   "jitterd_socket_receive_latency_seconds"
#define SOCKETS_RECEIVE_STAGE	   "jitterd_socket_receive_stage_seconds"
#define SOCKETS_RECEIVE_UNSTAMPED  "jitterd_socket_receive_unstamped_total"
#define SOCKETS_SEND_LATENCY	   "jitterd_socket_send_latency_seconds"
#define SOCKETS_SEND_STAGE	   "jitterd_socket_send_stage_seconds"
#define SOCKETS_SEND_QUEUED	   "jitterd_socket_send_queued_total"
#define SOCKETS_SOFTNET_DROPS	   "jitterd_softnet_dropped_total"
#define SOCKETS_SOFTNET_SQUEEZE	   "jitterd_softnet_time_squeeze_total"
#define SOCKETS_NIC_DROPS	   "jitterd_nic_receive_drops_total"

#endif
